package postgres

import (
	"net/url"
	"strings"

	"github.com/configmat/configmat/core/domain"
)

// listenerApplicationName names the change feed's connection in
// pg_stat_activity.
const listenerApplicationName = "configmat-listener"

// withApplicationName returns dsn, a postgres:// URL or a key=value
// connection string, with application_name set to name. The error never
// contains dsn, which may hold a password.
func withApplicationName(dsn, name string) (string, error) {
	if !strings.HasPrefix(dsn, "postgres://") && !strings.HasPrefix(dsn, "postgresql://") {
		return dsn + " application_name='" + name + "'", nil
	}
	u, err := url.Parse(dsn)
	if err != nil {
		return "", domain.Errorf(domain.KindInvalid, "The database URL is not a valid URL.").WithDetail("url", "is not a valid URL")
	}
	q := u.Query()
	q.Set("application_name", name)
	u.RawQuery = q.Encode()
	return u.String(), nil
}
