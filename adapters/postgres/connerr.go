package postgres

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"net"
	"syscall"

	"github.com/lib/pq"
	"github.com/lib/pq/pqerror"
)

// connectionProblem says why a connection to PostgreSQL could not be made,
// as the end of a sentence an operator can act on. It names neither the URL
// nor its host, role or password, and quotes no driver text.
func connectionProblem(err error) string {
	var (
		dnsErr  *net.DNSError
		netErr  net.Error
		certErr *tls.CertificateVerificationError
		authErr x509.UnknownAuthorityError
		hostErr x509.HostnameError
	)
	if pqErr := pq.As(err); pqErr != nil {
		switch {
		case pqErr.Code == pqerror.InvalidPassword:
			return "authentication failed: check the user name and password."
		case pqErr.Code.Class() == pqerror.ClassInvalidAuthorizationSpecification:
			return "authentication failed: the server refused this user (check the user name, password and the server's pg_hba.conf)."
		case pqErr.Code == pqerror.InvalidCatalogName:
			return "the database does not exist: check the database name."
		case pqErr.Code == pqerror.CannotConnectNow, pqErr.Code == pqerror.AdminShutdown:
			return "the server is starting up or shutting down."
		case pqErr.Code == pqerror.TooManyConnections:
			return "the server has no connection left (too many connections)."
		}
		return "the server refused the connection (SQLSTATE " + string(pqErr.Code) + ")."
	}
	switch {
	case errors.Is(err, pq.ErrSSLNotSupported):
		return "TLS was refused: the server does not accept TLS connections; set sslmode=disable or enable TLS on the server."
	case errors.As(err, &certErr), errors.As(err, &authErr), errors.As(err, &hostErr):
		return "TLS failed: the server's certificate could not be verified (check sslmode and sslrootcert)."
	case errors.As(err, &dnsErr):
		return "the host name does not resolve."
	case errors.Is(err, syscall.ECONNREFUSED):
		return "the connection was refused: is PostgreSQL listening on that host and port?"
	case errors.As(err, &netErr) && netErr.Timeout():
		return "the server did not answer in time (unreachable host?)."
	}
	return "the server is unreachable."
}
