package main

import (
	"context"
	"fmt"
	"strings"

	"github.com/sirupsen/logrus"
)

// redisLogger routes go-redis's own log lines through the service's logger,
// so that they keep the log format and pass the redacting formatter. They
// are logged at debug: they repeat, per connection attempt, what the rate
// limiter and the health check already report (Redis is unreachable), so at
// the default level a Redis that is down at start prints the one line that
// stops serve, and no more.
type redisLogger struct {
	logger logrus.FieldLogger
}

// Printf implements go-redis's internal.Logging.
func (l redisLogger) Printf(_ context.Context, format string, v ...any) {
	l.logger.WithField("component", "redis").Debug(fmt.Sprintf(format, v...))
}

// redisProblem says why Redis could not be used, as the end of a sentence
// that follows "REDIS_URL: ". It quotes no URL and no password.
func redisProblem(err error) string {
	text := err.Error()
	switch {
	case strings.Contains(text, "DB index is out of range"):
		return "the database index is out of range for this Redis server (see its databases setting)"
	case strings.Contains(text, "WRONGPASS"), strings.Contains(text, "NOAUTH"), strings.Contains(text, "invalid password"):
		return "Redis refused the credentials: check the user name and password"
	case strings.Contains(text, "connection refused"):
		return "Redis is unreachable: the connection was refused (is Redis listening on that host and port?)"
	case strings.Contains(text, "no such host"):
		return "Redis is unreachable: the host name does not resolve"
	case strings.Contains(text, "i/o timeout"), strings.Contains(text, "deadline exceeded"):
		return "Redis is unreachable: it did not answer in time"
	}
	return "Redis is unreachable"
}
