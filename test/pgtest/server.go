package pgtest

import (
	"context"
	"errors"
	"fmt"
	"os"
	"time"

	tcpostgres "github.com/testcontainers/testcontainers-go/modules/postgres"
)

// EnvDatabaseURL names the variable holding a superuser URL of the server
// the tests use.
const EnvDatabaseURL = "CONFIGMAT_TEST_DATABASE_URL"

// containerImage is the PostgreSQL image started when EnvDatabaseURL is unset.
const containerImage = "postgres:15-alpine"

// errUnavailable marks a setup failure that means "no server", which skips
// the tests outside CI.
var errUnavailable = errors.New("no PostgreSQL server")

// server is a PostgreSQL server with a superuser URL, and how to release it.
type server struct {
	superuserURL string
	release      func()
}

// findServer returns the server of EnvDatabaseURL, or starts a container.
// A URL that is set is used as is: its failures are errors, never skips.
func findServer(ctx context.Context) (server, error) {
	if url := os.Getenv(EnvDatabaseURL); url != "" {
		return server{superuserURL: url, release: func() {}}, nil
	}
	return startContainer(ctx)
}

// startContainer starts PostgreSQL with testcontainers; any failure wraps
// errUnavailable.
func startContainer(ctx context.Context) (s server, err error) {
	defer func() {
		// testcontainers may panic when no container runtime is reachable.
		if p := recover(); p != nil {
			err = fmt.Errorf("%w: %s is unset and testcontainers failed: %v", errUnavailable, EnvDatabaseURL, p)
		}
	}()
	ctx, cancel := context.WithTimeout(ctx, 3*time.Minute)
	defer cancel()
	ctr, err := tcpostgres.Run(ctx, containerImage, tcpostgres.BasicWaitStrategies())
	if err != nil {
		if ctr != nil {
			_ = ctr.Terminate(context.Background())
		}
		return server{}, fmt.Errorf("%w: %s is unset and testcontainers failed: %v", errUnavailable, EnvDatabaseURL, err)
	}
	url, err := ctr.ConnectionString(ctx, "sslmode=disable")
	if err != nil {
		_ = ctr.Terminate(context.Background())
		return server{}, fmt.Errorf("%w: the container's address is unknown: %v", errUnavailable, err)
	}
	return server{superuserURL: url, release: func() { _ = ctr.Terminate(context.Background()) }}, nil
}
