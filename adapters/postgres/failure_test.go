package postgres

import (
	"context"
	"crypto/tls"
	"database/sql/driver"
	"errors"
	"fmt"
	"net"
	"os"
	"strings"
	"syscall"
	"testing"

	"github.com/lib/pq"
	"github.com/lib/pq/pqerror"
)

func TestUnavailable(t *testing.T) {
	cases := []struct {
		name string
		err  error
		want bool
	}{
		{"AdminShutdown", &pq.Error{Code: pqerror.AdminShutdown}, true},
		{"CrashShutdown", &pq.Error{Code: pqerror.CrashShutdown}, true},
		{"CannotConnectNow", &pq.Error{Code: pqerror.CannotConnectNow}, true},
		{"StatementCanceled", &pq.Error{Code: pqerror.QueryCanceled}, true},
		{"ConnectionFailure", &pq.Error{Code: pqerror.ConnectionFailure}, true},
		{"ConnectionException", &pq.Error{Code: pqerror.ConnectionException}, true},
		{"TooManyConnections", &pq.Error{Code: pqerror.TooManyConnections}, true},
		{"Wrapped", fmt.Errorf("reading: %w", &pq.Error{Code: pqerror.AdminShutdown}), true},
		{"SSLRefused", pq.ErrSSLNotSupported, true},
		{"UniqueViolation", &pq.Error{Code: pqerror.UniqueViolation}, false},
		{"SyntaxError", &pq.Error{Code: pqerror.SyntaxError}, false},
		{"RowLevelSecurity", &pq.Error{Code: pqerror.InsufficientPrivilege}, false},
		{"Plain", errors.New("boom"), false},
		// database/sql's and the network's errors are sqlstore's to
		// recognize, not the dialect's.
		{"BadConn", driver.ErrBadConn, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := (dialect{}).Unavailable(tc.err); got != tc.want {
				t.Fatalf("Unavailable(%v) = %v, want %v", tc.err, got, tc.want)
			}
		})
	}
}

func TestConnectionProblem(t *testing.T) {
	refused := &net.OpError{Op: "dial", Net: "tcp", Err: os.NewSyscallError("connect", syscall.ECONNREFUSED)}
	cases := []struct {
		name string
		err  error
		want string
	}{
		{"WrongPassword", &pq.Error{Code: pqerror.InvalidPassword, Message: `password authentication failed for user "app"`}, "authentication failed"},
		{"NoHBAEntry", &pq.Error{Code: pqerror.InvalidAuthorizationSpecification, Message: `no pg_hba.conf entry for host "1.2.3.4"`}, "authentication failed"},
		{"MissingDatabase", &pq.Error{Code: pqerror.InvalidCatalogName, Message: `database "nope" does not exist`}, "database does not exist"},
		{"Starting", &pq.Error{Code: pqerror.CannotConnectNow}, "starting up or shutting down"},
		{"TLSRefused", pq.ErrSSLNotSupported, "TLS was refused"},
		{"TLSUnverified", &tls.CertificateVerificationError{Err: errors.New("x509: unknown authority")}, "TLS failed"},
		{"Refused", refused, "connection was refused"},
		{"NoSuchHost", &net.DNSError{Err: "no such host", Name: "db.internal", IsNotFound: true}, "does not resolve"},
		{"Timeout", &net.OpError{Op: "dial", Net: "tcp", Err: context.DeadlineExceeded}, "did not answer in time"},
		{"Other", errors.New("boom"), "unreachable"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got := connectionProblem(tc.err)
			if !strings.Contains(got, tc.want) {
				t.Fatalf("connectionProblem = %q, want it to say %q", got, tc.want)
			}
			for _, leak := range []string{"app", "1.2.3.4", "nope", "db.internal"} {
				if strings.Contains(got, leak) {
					t.Errorf("connectionProblem = %q quotes %q", got, leak)
				}
			}
		})
	}
}
