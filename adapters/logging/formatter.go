package logging

import (
	"github.com/sirupsen/logrus"

	"github.com/configmat/configmat/core/domain"
)

// RedactingFormatter scrubs an entry's message and fields (see Redact and
// the sensitive field names) before Inner formats it. It works on a copy,
// so entries reused by callers keep their fields.
type RedactingFormatter struct {
	// Inner renders the redacted entry.
	Inner logrus.Formatter
}

// Format implements logrus.Formatter.
func (f RedactingFormatter) Format(entry *logrus.Entry) ([]byte, error) {
	if f.Inner == nil {
		return nil, domain.Errorf(domain.KindInternal, "the redacting formatter has no inner formatter")
	}
	clean := entry.Dup()
	clean.Level = entry.Level
	clean.Buffer = entry.Buffer
	clean.Message = Redact(entry.Message)
	for name, value := range clean.Data {
		clean.Data[name] = redactField(name, value)
	}
	return f.Inner.Format(clean)
}
