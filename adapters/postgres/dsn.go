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
	return withOption(dsn, "application_name", name, true)
}

// binaryParameters is lib/pq's option that sends a statement with
// parameters in one round trip (parse, bind and execute together) instead
// of two (parse and describe, then bind and execute); it sends []byte
// parameters in binary, and the store passes every jsonb value as text.
const binaryParameters = "binary_parameters"

// withBinaryParameters returns dsn with binary_parameters=yes unless dsn
// sets binary_parameters itself (binary_parameters=no keeps lib/pq's
// default protocol). The error never contains dsn.
func withBinaryParameters(dsn string) (string, error) {
	return withOption(dsn, binaryParameters, "yes", false)
}

// withOption returns dsn, a postgres:// URL or a key=value connection
// string, with key set to value: always when overwrite is set, else only
// when dsn does not set key. In a key=value string the last setting of a
// key counts, so the option goes after dsn's own to override them and
// before them otherwise. The error never contains dsn, which may hold a
// password.
func withOption(dsn, key, value string, overwrite bool) (string, error) {
	if !strings.HasPrefix(dsn, "postgres://") && !strings.HasPrefix(dsn, "postgresql://") {
		option := key + "='" + value + "'"
		if !overwrite {
			return option + " " + dsn, nil
		}
		return dsn + " " + option, nil
	}
	u, err := url.Parse(dsn)
	if err != nil {
		return "", domain.Errorf(domain.KindInvalid, "The database URL is not a valid URL.").WithDetail("url", "is not a valid URL")
	}
	q := u.Query()
	if !overwrite && q.Has(key) {
		return dsn, nil
	}
	q.Set(key, value)
	u.RawQuery = q.Encode()
	return u.String(), nil
}
