package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"strings"
)

// The client commands' variables ("Client commands" in the contract). They
// are not server settings: `run` and `export` read only these two, so that
// an application's own variables (DATABASE_URL, LOG_LEVEL, ...) never stop
// them.
const (
	envClientAddr   = "CONFIGMAT_ADDR"
	envClientAPIKey = "CONFIGMAT_API_KEY" // #nosec G101 -- the name of the variable, not a credential
	// defaultClientAddr is CONFIGMAT_ADDR's default.
	defaultClientAddr = "http://127.0.0.1:8080"
)

// clientSettings are what the client commands read from the environment.
type clientSettings struct {
	// Addr is the server's base URL (CONFIGMAT_ADDR).
	Addr string
	// APIKey is the credential the server is read with (CONFIGMAT_API_KEY);
	// never printed.
	APIKey string
	// FallbackFile is --fallback-file, "" for none.
	FallbackFile string
}

// loadClientSettings reads CONFIGMAT_ADDR and CONFIGMAT_API_KEY. The error
// has one line per bad variable, each naming it.
func loadClientSettings(getenv func(string) string) (clientSettings, error) {
	s := clientSettings{Addr: strings.TrimSpace(getenv(envClientAddr)), APIKey: strings.TrimSpace(getenv(envClientAPIKey))}
	var problems []string
	if s.Addr == "" {
		s.Addr = defaultClientAddr
	}
	switch u, err := url.Parse(s.Addr); {
	case err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "":
		problems = append(problems, envClientAddr+": must be the server's http:// or https:// URL, such as "+defaultClientAddr)
	case u.User != nil || u.RawQuery != "" || u.Fragment != "":
		// The API key is the one credential; a password in the URL would be
		// printed in messages and sent to wherever the URL points.
		problems = append(problems, envClientAddr+": must hold no user, password, query or fragment, only the server's URL, such as "+defaultClientAddr)
	}
	if s.APIKey == "" {
		problems = append(problems, envClientAPIKey+": must be set to an API key of the tenant (configmat apikey create, or POST /api/v1/api-keys)")
	}
	if len(problems) > 0 {
		return s, &exitError{code: 2, err: errors.New(strings.Join(problems, "\n"))}
	}
	return s, nil
}

// configSource is what the client commands read configurations from: the
// SDK's client in the binary, a fake in the tests.
type configSource interface {
	// Get reads the resolved configuration once; when the server cannot be
	// reached, from the fallback file if there is one (FromFallback set).
	// An error that says the server could not be reached and no fallback
	// file answered matches errUnreachable.
	Get(ctx context.Context, asset, environment string) (resolved, error)
	// Watch calls fn with the current configuration and then after every
	// change, never twice with the same one, until ctx ends or a permanent
	// error (credential refused, asset deleted) ends it.
	Watch(ctx context.Context, asset, environment string, fn func(resolved)) error
}

// errUnreachable is matched by the errors of a configSource that say the
// server could not be reached and no fallback file answered.
var errUnreachable = errors.New("the server could not be reached")

// openSource returns the configuration source of a client command: e.client
// when a test supplies one, else the SDK.
func openSource(e env, s clientSettings) (configSource, error) {
	if e.client != nil {
		return e.client(s)
	}
	return newSDKSource(s)
}

// firstRead is what both client commands do first: read CONFIGMAT_ADDR and
// CONFIGMAT_API_KEY, open the source (keeping the configuration in
// fallback, when set) and read asset's configuration in environment.
func firstRead(ctx context.Context, e env, fallback, asset, environment string) (configSource, resolved, error) {
	s, err := loadClientSettings(e.getenv)
	if err != nil {
		return nil, resolved{}, err
	}
	s.FallbackFile = fallback
	src, err := openSource(e, s)
	if err != nil {
		return nil, resolved{}, err
	}
	cfg, err := readConfig(ctx, e, src, s, asset, environment)
	if err != nil {
		return nil, resolved{}, err
	}
	return src, cfg, nil
}

// readConfig reads the configuration once, and says on stderr when it came
// from the fallback file. With nothing reachable and no fallback file it
// answers one line naming CONFIGMAT_ADDR (exit status 1).
func readConfig(ctx context.Context, e env, src configSource, s clientSettings, asset, environment string) (resolved, error) {
	cfg, err := src.Get(ctx, asset, environment)
	if err != nil {
		return resolved{}, clientError(s, err)
	}
	if cfg.FromFallback {
		warnFallback(e, s, cfg)
	}
	return cfg, nil
}

// warnFallback prints the warning that the configuration came from the
// fallback file.
func warnFallback(e env, s clientSettings, cfg resolved) {
	fmt.Fprintf(e.stderr, "configmat: warning: the server at %s=%s could not be reached; using version %d of %s/%s from the fallback file %s\n",
		envClientAddr, s.Addr, cfg.Version, cfg.Asset, cfg.Environment, s.FallbackFile)
}

// clientError is the one line a client command prints for err (exit 1).
func clientError(s clientSettings, err error) error {
	if errors.Is(err, errUnreachable) {
		hint := "; set " + envClientAddr + " to the server's URL, or pass --fallback-file"
		if s.FallbackFile != "" {
			hint = ", and the fallback file " + s.FallbackFile + " could not answer"
		}
		return &exitError{code: 1, err: fmt.Errorf("cannot reach the ConfigMat server at %s=%s (%s)%s",
			envClientAddr, s.Addr, networkCause(err), hint)}
	}
	return &exitError{code: 1, err: errors.New(oneLine(err))}
}

// networkCause is what the network said of a failed request, without the
// request's URL or the SDK's own words: "dial tcp 127.0.0.1:8080: connect:
// connection refused".
func networkCause(err error) string {
	var op *net.OpError
	if errors.As(err, &op) {
		return oneLine(op)
	}
	var ue *url.Error
	if errors.As(err, &ue) {
		return oneLine(ue.Err)
	}
	return oneLine(err)
}

// oneLine folds an error's text onto one line, without the "configmat: "
// the SDK starts its errors with (the command's line has its own).
func oneLine(err error) string {
	return strings.TrimPrefix(strings.Join(strings.Fields(err.Error()), " "), "configmat: ")
}
