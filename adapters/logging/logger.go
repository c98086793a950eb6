// Package logging builds ConfigMat's logrus logger from the LOG_LEVEL and
// LOG_FORMAT settings. Every line it writes goes through RedactingFormatter,
// which scrubs credential-looking text as a last line of defense; callers
// must still never log a secret.
package logging

import (
	"io"
	"os"
	"strings"
	"time"

	"github.com/sirupsen/logrus"

	"github.com/configmat/configmat/core/domain"
)

// Config holds the logger's settings.
type Config struct {
	// Level is LOG_LEVEL: debug, info, warn or error; empty means info.
	Level string
	// Format is LOG_FORMAT: json or text; empty means json.
	Format string
	// Out receives the log lines; nil means standard error.
	Out io.Writer
}

var levels = map[string]logrus.Level{
	"debug": logrus.DebugLevel,
	"info":  logrus.InfoLevel,
	"warn":  logrus.WarnLevel,
	"error": logrus.ErrorLevel,
}

// New returns a logger configured by c whose output is redacted. Level and
// Format are matched case-insensitively; any other value is a KindInvalid
// error naming the setting.
func New(c Config) (*logrus.Logger, error) {
	level, err := parseLevel(c.Level)
	if err != nil {
		return nil, err
	}
	formatter, err := newFormatter(c.Format)
	if err != nil {
		return nil, err
	}
	out := c.Out
	if out == nil {
		out = os.Stderr
	}
	if _, ok := formatter.(*jsonFormatter); ok {
		// LineWriter writes to it too, outside logrus's lock. The text
		// format keeps the writer itself: logrus looks at it for a
		// terminal, to colour the lines.
		out = &syncWriter{w: out}
	}
	logger := logrus.New()
	logger.SetOutput(out)
	logger.SetLevel(level)
	logger.SetFormatter(RedactingFormatter{Inner: formatter})
	return logger, nil
}

func parseLevel(s string) (logrus.Level, error) {
	name := strings.ToLower(strings.TrimSpace(s))
	if name == "" {
		return logrus.InfoLevel, nil
	}
	level, ok := levels[name]
	if !ok {
		return 0, domain.Errorf(domain.KindInvalid, "LOG_LEVEL must be debug, info, warn or error, not %q", s)
	}
	return level, nil
}

func newFormatter(s string) (logrus.Formatter, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "", "json":
		return newJSONFormatter(), nil
	case "text":
		return &logrus.TextFormatter{FullTimestamp: true, TimestampFormat: time.RFC3339Nano}, nil
	default:
		return nil, domain.Errorf(domain.KindInvalid, "LOG_FORMAT must be json or text, not %q", s)
	}
}
