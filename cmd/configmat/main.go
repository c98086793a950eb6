// Command configmat is ConfigMat's single binary: the HTTP server and the
// administrative subcommands of the product contract.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"

// env is what a run of the program reads from and writes to; tests supply
// their own.
type env struct {
	args   []string
	getenv func(string) string
	// environ is the whole environment, as os.Environ gives it, which
	// `configmat run` passes on to its child; nil is an empty one.
	environ func() []string
	stdin   io.Reader
	stdout  io.Writer
	stderr  io.Writer
	// client, when not nil, replaces the SDK as the client commands'
	// source of configurations.
	client func(clientSettings) (configSource, error)
}

// exitError carries a specific exit status, and the line to print (none
// when err is nil: the command has said everything already).
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string {
	if e.err == nil {
		return fmt.Sprintf("exit status %d", e.code)
	}
	return e.err.Error()
}
func (e *exitError) Unwrap() error { return e.err }

func main() {
	os.Exit(runMain(env{args: os.Args[1:], getenv: os.Getenv, environ: os.Environ, stdin: os.Stdin, stdout: os.Stdout, stderr: os.Stderr}))
}

// runMain runs e's command line as the binary does: SIGTERM and SIGINT
// cancel the command's context (`run` forwards them to its child instead).
func runMain(e env) int {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer stop()
	return run(ctx, e)
}

const usage = `configmat: configuration and secrets service

Usage:
  configmat serve                                   run the HTTP server
  configmat migrate                                 apply pending migrations
  configmat keygen                                  print a new ENCRYPTION_KEY
  configmat keygen --audit                          print a new AUDIT_SIGNING_KEY and its verifier key
  configmat tenant create --slug S --name N         create a tenant
  configmat user create --email E --tenant S --role R
                                                    create a user (password on stdin)
  configmat apikey create --tenant S --name N [--environment E]
                                                    print a new API key once
  configmat audit verify --tenant S                 verify a tenant's audit chain, head and
                                                    latest checkpoint (exit 0 intact, 1 broken, 2 error)
  configmat audit verify --offline --entries F --checkpoint C --verifier-key K
                                                    verify exported entries against a held
                                                    checkpoint, with no database
  configmat audit verifier-key                      print the verifier key of the audit signing key
  configmat keys rotate [--batch N]                 rewrap every data key of ENCRYPTION_KEY_PREVIOUS
                                                    under ENCRYPTION_KEY, online and resumable
  configmat run --asset A --environment E [--watch] [--fallback-file F] -- CMD [ARG...]
                                                    run CMD with the configuration in its
                                                    environment (a client of a running server)
  configmat export --asset A --environment E [--format dotenv|json|yaml|shell] [--template FILE]
                                                    print the configuration (a client of a
                                                    running server)

Settings are read from the environment; see .env.example. The client
commands run and export read only CONFIGMAT_ADDR (default
http://127.0.0.1:8080) and CONFIGMAT_API_KEY.
`

// run executes one command line and returns the exit status.
func run(ctx context.Context, e env) int { return exitStatus(e, dispatch(ctx, e)) }

// exitStatus prints err's lines, if any, and returns the exit status it
// stands for.
func exitStatus(e env, err error) int {
	var ee *exitError
	switch {
	case err == nil:
		return 0
	case errors.Is(err, flag.ErrHelp):
		return 0
	case errors.As(err, &ee):
		if ee.err != nil {
			printError(e, ee.err)
		}
		return ee.code
	default:
		printError(e, err)
		return 1
	}
}

// printError writes each line of err (one per bad setting, say) as its own
// "configmat: " line.
func printError(e env, err error) {
	for _, line := range strings.Split(err.Error(), "\n") {
		fmt.Fprintln(e.stderr, "configmat:", line)
	}
}

func dispatch(ctx context.Context, e env) error {
	if len(e.args) == 0 {
		fmt.Fprint(e.stderr, usage)
		return &exitError{code: 2}
	}
	cmd, rest := e.args[0], e.args[1:]
	sub := func(name string) (string, []string) {
		if len(rest) == 0 || rest[0] != name {
			return "", rest
		}
		return name, rest[1:]
	}
	switch cmd {
	case "-h", "--help", "help":
		fmt.Fprint(e.stdout, usage)
		return nil
	case "serve":
		return cmdServe(ctx, e, rest)
	case "migrate":
		return cmdMigrate(ctx, e, rest)
	case "keygen":
		return cmdKeygen(e, rest)
	case "tenant":
		if name, args := sub("create"); name != "" {
			return cmdTenantCreate(ctx, e, args)
		}
	case "user":
		if name, args := sub("create"); name != "" {
			return cmdUserCreate(ctx, e, args)
		}
	case "apikey":
		if name, args := sub("create"); name != "" {
			return cmdAPIKeyCreate(ctx, e, args)
		}
	case "audit":
		if name, args := sub("verify"); name != "" {
			return cmdAuditVerify(ctx, e, args)
		}
		if name, args := sub("verifier-key"); name != "" {
			return cmdAuditVerifierKey(e, args)
		}
	case "keys":
		if name, args := sub("rotate"); name != "" {
			return cmdKeysRotate(ctx, e, args)
		}
	case "run":
		return cmdRun(ctx, e, rest)
	case "export":
		return cmdExport(ctx, e, rest)
	}
	if len(rest) > 0 && (rest[0] == "-h" || rest[0] == "--help" || rest[0] == "help") {
		fmt.Fprint(e.stdout, usage)
		return nil
	}
	fmt.Fprint(e.stderr, usage)
	return &exitError{code: 2, err: fmt.Errorf("unknown command %q", strings.Join(e.args, " "))}
}

// newFlags returns a flag set that prints its usage to e.stderr and returns
// errors instead of exiting.
func newFlags(e env, name, synopsis string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	fs.Usage = func() {
		fmt.Fprintf(e.stderr, "Usage: configmat %s\n", synopsis)
		fs.PrintDefaults()
	}
	return fs
}

// parseFlags parses args and requires every named flag to be non-empty.
func parseFlags(fs *flag.FlagSet, args []string, required map[string]*string) error {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return &exitError{code: 2, err: err}
	}
	if fs.NArg() > 0 {
		return &exitError{code: 2, err: fmt.Errorf("unexpected argument %q", fs.Arg(0))}
	}
	for name, v := range required {
		if *v == "" {
			fs.Usage()
			return &exitError{code: 2, err: fmt.Errorf("--%s is required", name)}
		}
	}
	return nil
}
