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
	if jf, ok := f.Inner.(*jsonFormatter); ok {
		if out, ok := jf.formatClean(entry); ok {
			return out, nil
		}
	}
	if nothingToRedact(entry) {
		return f.Inner.Format(entry)
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

// nothingToRedact reports, cheaply and conservatively, that no redaction
// would change entry: the common line of plain strings and numbers (an access
// log line, say) then skips the copy.
func nothingToRedact(entry *logrus.Entry) bool {
	if mayHoldCredential(entry.Message) {
		return false
	}
	for name, value := range entry.Data {
		if sensitiveField(name) {
			return false
		}
		switch v := value.(type) {
		case string:
			if mayHoldCredential(v) {
				return false
			}
		case nil, bool, int, int64, int32, uint, uint64, uint32, float64, float32:
		default:
			return false
		}
	}
	return true
}
