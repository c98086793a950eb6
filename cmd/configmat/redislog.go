package main

import (
	"context"
	"fmt"

	"github.com/sirupsen/logrus"
)

// redisLogger routes go-redis's own log lines through the service's logger,
// so that they keep the log format and pass the redacting formatter.
type redisLogger struct {
	logger logrus.FieldLogger
}

// Printf implements go-redis's internal.Logging.
func (l redisLogger) Printf(_ context.Context, format string, v ...any) {
	l.logger.WithField("component", "redis").Warn(fmt.Sprintf(format, v...))
}
