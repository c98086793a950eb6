package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"strings"
)

const runSynopsis = "run --asset A --environment E [--watch] [--grace D] [--fallback-file F] -- CMD [ARG...]"

// cmdRun runs a command with the resolved configuration in its environment
// ("Client commands" in the contract).
func cmdRun(ctx context.Context, e env, args []string) error {
	var asset, environment, fallback string
	var watch bool
	fs := newFlags(e, "run", runSynopsis)
	fs.StringVar(&asset, "asset", "", "slug of the asset")
	fs.StringVar(&environment, "environment", "", "environment to read, e.g. prod")
	fs.BoolVar(&watch, "watch", false, "restart CMD whenever the configuration changes")
	grace := fs.Duration("grace", defaultGrace, "with --watch: how long CMD may take to exit after SIGTERM before SIGKILL")
	fs.StringVar(&fallback, "fallback-file", "", "keep the last configuration read in this encrypted file (mode 0600) and use it when the server cannot be reached at start")
	argv, err := parseRunFlags(fs, args, map[string]*string{"asset": &asset, "environment": &environment})
	if err != nil {
		return err
	}
	if *grace <= 0 {
		return &exitError{code: 2, err: errors.New("--grace must be a positive duration such as 10s")}
	}
	src, cfg, err := firstRead(ctx, e, fallback, asset, environment)
	if err != nil {
		return err
	}
	vars, err := variables(cfg.Values)
	if err != nil {
		return &exitError{code: 1, err: err}
	}

	var base []string
	if e.environ != nil {
		base = e.environ()
	}
	sup := &supervisor{
		argv: argv, base: base, stdin: e.stdin, stdout: e.stdout, stderr: e.stderr,
		grace: *grace, say: func(format string, a ...any) { fmt.Fprintf(e.stderr, "configmat: "+format+"\n", a...) },
	}
	if in, ok := e.stdin.(*os.File); ok && isFile(e.stdout) && isFile(e.stderr) {
		sup.term = foregroundTerminal(in)
	}
	signals := make(chan os.Signal, 16)
	signal.Notify(signals, forwardedSignals...)
	defer signal.Stop(signals)

	changes := make(chan childConfig, 1)
	watchCtx, stopWatch := context.WithCancel(ctx)
	watchDone := make(chan struct{})
	if watch {
		go func() {
			defer close(watchDone)
			followChanges(watchCtx, src, asset, environment, changes, sup.say)
		}()
	} else {
		close(watchDone)
	}
	code, err := sup.run(childConfig{Version: cfg.Version, Vars: vars}, signals, changes)
	stopWatch()
	<-watchDone
	if err != nil {
		return &exitError{code: code, err: fmt.Errorf("cannot run %s: %s", argv[0], oneLine(err))}
	}
	if code != 0 {
		return &exitError{code: code}
	}
	return nil
}

// parseRunFlags parses run's flags, requires the named ones, and returns the
// command after them (after "--", or from the first argument that is not a
// flag).
func parseRunFlags(fs *flag.FlagSet, args []string, required map[string]*string) ([]string, error) {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil, err
		}
		return nil, &exitError{code: 2, err: err}
	}
	for name, v := range required {
		if *v == "" {
			fs.Usage()
			return nil, &exitError{code: 2, err: fmt.Errorf("--%s is required", name)}
		}
	}
	if fs.NArg() == 0 {
		fs.Usage()
		return nil, &exitError{code: 2, err: errors.New("the command to run is missing: configmat " + runSynopsis)}
	}
	return fs.Args(), nil
}

// followChanges watches the configuration and offers the supervisor each
// new one. A configuration that cannot become variables (two keys mapping
// to one name, say) is skipped with a line on stderr and the child keeps
// running; so it does when the watch ends for good (the asset deleted, the
// key revoked).
func followChanges(ctx context.Context, src configSource, asset, environment string, changes chan childConfig, say func(string, ...any)) {
	err := src.Watch(ctx, asset, environment, func(cfg resolved) {
		vars, err := variables(cfg.Values)
		if err != nil {
			say("version %d is not applied: %s", cfg.Version, strings.ReplaceAll(err.Error(), "\n", "; "))
			return
		}
		offer(changes, childConfig{Version: cfg.Version, Vars: vars})
	})
	if err != nil && ctx.Err() == nil {
		say("no longer following changes (the command keeps running): %s", oneLine(err))
	}
}

// offer puts c in the one-slot channel ch, replacing a configuration the
// supervisor has not taken yet: only the latest one matters. ch has one
// sender.
func offer(ch chan childConfig, c childConfig) {
	for {
		select {
		case ch <- c:
			return
		default:
			select {
			case <-ch:
			default:
			}
		}
	}
}

// isFile says whether w is an *os.File.
func isFile(w any) bool { _, ok := w.(*os.File); return ok }
