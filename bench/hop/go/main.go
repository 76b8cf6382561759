// hop-worker: the Go SDK side of the hop benchmark (bench/hop). A Temporal worker that registers a
// chain and a fan-out workflow of no-op activities on one task queue, so the TypeScript driver
// (bench/lib/hop-bench.ts) starts them by type name and reads their histories exactly as it does
// for the TS baseline and for Trainyard's job workflow. Built by bench/hop/build-go.ts (`go build`),
// never committed as a binary.
package main

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"syscall"
	"time"

	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"
)

// HopInput mirrors bench/hop/workflows.ts HopInput (JSON field names are the contract).
type HopInput struct {
	Nodes         int    `json:"nodes"`
	Parallelism   int    `json:"parallelism"`
	ActivityQueue string `json:"activityQueue"`
	// Local runs each step as a local activity (no activity task, no matching round trip).
	Local bool `json:"local"`
}

// StepOutput is the shape of the TS no-op step's result, so payload sizes match.
type StepOutput struct {
	Summary   map[string]any `json:"summary"`
	Artifacts []any          `json:"artifacts"`
}

// GoNoop is the step: it does nothing and returns an empty StepOutput.
func GoNoop(_ context.Context, _ map[string]StepOutput) (StepOutput, error) {
	return StepOutput{Summary: map[string]any{}, Artifacts: []any{}}, nil
}

func step(ctx workflow.Context, in HopInput, upstream map[string]StepOutput) (StepOutput, error) {
	var out StepOutput
	if in.Local {
		lctx := workflow.WithLocalActivityOptions(ctx, workflow.LocalActivityOptions{StartToCloseTimeout: time.Minute})
		err := workflow.ExecuteLocalActivity(lctx, GoNoop, upstream).Get(ctx, &out)
		return out, err
	}
	actx := workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		TaskQueue:           in.ActivityQueue,
		StartToCloseTimeout: 30 * time.Minute,
		HeartbeatTimeout:    time.Minute,
		RetryPolicy:         &temporal.RetryPolicy{MaximumAttempts: 1},
	})
	err := workflow.ExecuteActivity(actx, "GoNoop", upstream).Get(ctx, &out)
	return out, err
}

// GoChain runs Nodes dependent steps, each fed its parent's output.
func GoChain(ctx workflow.Context, in HopInput) (int, error) {
	prev := map[string]StepOutput{}
	for i := 0; i < in.Nodes; i++ {
		out, err := step(ctx, in, prev)
		if err != nil {
			return i, err
		}
		prev = map[string]StepOutput{fmt.Sprintf("n%d", i): out}
	}
	return in.Nodes, nil
}

// GoFanOut runs one root, then Nodes-1 children of it with at most Parallelism in flight.
func GoFanOut(ctx workflow.Context, in HopInput) (int, error) {
	root, err := step(ctx, in, map[string]StepOutput{})
	if err != nil {
		return 0, err
	}
	up := map[string]StepOutput{"n0": root}
	next := 1
	lanes := in.Parallelism
	if lanes > in.Nodes-1 {
		lanes = in.Nodes - 1
	}
	var firstErr error
	wg := workflow.NewWaitGroup(ctx)
	for l := 0; l < lanes; l++ {
		wg.Add(1)
		workflow.Go(ctx, func(c workflow.Context) {
			defer wg.Done()
			for next < in.Nodes {
				next++
				if _, err := step(c, in, up); err != nil && firstErr == nil {
					firstErr = err
				}
			}
		})
	}
	wg.Wait(ctx)
	return in.Nodes, firstErr
}

// GoOne runs a single step (throughput runs start many of these).
func GoOne(ctx workflow.Context, in HopInput) (int, error) {
	_, err := step(ctx, in, map[string]StepOutput{})
	return 1, err
}

func main() {
	address := flag.String("address", "127.0.0.1:7233", "Temporal frontend address")
	namespace := flag.String("namespace", "default", "namespace")
	taskQueue := flag.String("task-queue", "", "task queue (workflows and activities)")
	cache := flag.Int("max-cached", -1, "sticky workflow cache size (0 = no sticky execution; -1 = SDK default)")
	wfPollers := flag.Int("wf-pollers", 0, "workflow task pollers (0 = SDK default)")
	actPollers := flag.Int("act-pollers", 0, "activity task pollers (0 = SDK default)")
	autoscale := flag.Bool("autoscale", false, "PollerBehaviorAutoscaling for both poller kinds")
	noEager := flag.Bool("disable-eager", false, "disable eager activity dispatch")
	actConcurrency := flag.Int("activity-concurrency", 100, "max concurrent activity executions")
	tlsCA := flag.String("tls-ca", "", "mTLS: the server's CA (PEM file); with -tls-cert and -tls-key")
	tlsCert := flag.String("tls-cert", "", "mTLS: this client's certificate (PEM file)")
	tlsKey := flag.String("tls-key", "", "mTLS: this client's key (PEM file)")
	tlsServerName := flag.String("tls-server-name", "", "mTLS: the name the server's certificate is for")
	flag.Parse()
	if *taskQueue == "" {
		fmt.Fprintln(os.Stderr, "hop-worker: -task-queue is required")
		os.Exit(2)
	}
	if *cache >= 0 {
		worker.SetStickyWorkflowCacheSize(*cache)
	}
	options := client.Options{HostPort: *address, Namespace: *namespace, Logger: quiet{}}
	if *tlsCA != "" {
		cfg, err := mtls(*tlsCA, *tlsCert, *tlsKey, *tlsServerName)
		if err != nil {
			fmt.Fprintf(os.Stderr, "hop-worker: %v\n", err)
			os.Exit(2)
		}
		options.ConnectionOptions = client.ConnectionOptions{TLS: cfg}
	}
	c, err := client.Dial(options)
	if err != nil {
		fmt.Fprintf(os.Stderr, "hop-worker: cannot connect to %s: %v\n", *address, err)
		os.Exit(2)
	}
	defer c.Close()
	opts := worker.Options{
		DisableEagerActivities:             *noEager,
		MaxConcurrentActivityExecutionSize: *actConcurrency,
	}
	if *autoscale {
		opts.WorkflowTaskPollerBehavior = worker.NewPollerBehaviorAutoscaling(worker.PollerBehaviorAutoscalingOptions{})
		opts.ActivityTaskPollerBehavior = worker.NewPollerBehaviorAutoscaling(worker.PollerBehaviorAutoscalingOptions{})
	} else {
		if *wfPollers > 0 {
			opts.MaxConcurrentWorkflowTaskPollers = *wfPollers
		}
		if *actPollers > 0 {
			opts.MaxConcurrentActivityTaskPollers = *actPollers
		}
	}
	w := worker.New(c, *taskQueue, opts)
	w.RegisterWorkflow(GoChain)
	w.RegisterWorkflow(GoFanOut)
	w.RegisterWorkflow(GoOne)
	w.RegisterActivity(GoNoop)
	if err := w.Start(); err != nil {
		fmt.Fprintf(os.Stderr, "hop-worker: %v\n", err)
		os.Exit(1)
	}
	fmt.Println("ready")
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGTERM, syscall.SIGINT)
	<-sig
	w.Stop()
}

// mtls is the client side of mutual TLS: the server's CA, this client's certificate and key.
func mtls(caFile, certFile, keyFile, serverName string) (*tls.Config, error) {
	ca, err := os.ReadFile(caFile)
	if err != nil {
		return nil, fmt.Errorf("-tls-ca: %w", err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(ca) {
		return nil, fmt.Errorf("-tls-ca %s: no PEM certificate in it", caFile)
	}
	pair, err := tls.LoadX509KeyPair(certFile, keyFile)
	if err != nil {
		return nil, fmt.Errorf("-tls-cert/-tls-key: %w", err)
	}
	return &tls.Config{RootCAs: pool, Certificates: []tls.Certificate{pair}, ServerName: serverName}, nil
}

// quiet drops the SDK's info/debug lines; warnings and errors go to stderr.
type quiet struct{}

func (quiet) Debug(string, ...interface{}) {}
func (quiet) Info(string, ...interface{})  {}
func (quiet) Warn(msg string, kv ...interface{}) {
	fmt.Fprintln(os.Stderr, append([]interface{}{"WARN", msg}, kv...)...)
}
func (quiet) Error(msg string, kv ...interface{}) {
	fmt.Fprintln(os.Stderr, append([]interface{}{"ERROR", msg}, kv...)...)
}
