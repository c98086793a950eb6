package logging

import (
	"fmt"
	"regexp"
	"strings"

	"github.com/sirupsen/logrus"
)

// Redacted replaces whatever the redaction hides.
const Redacted = "[REDACTED]"

// redactions are applied in order to every logged string.
var redactions = []struct {
	pattern     *regexp.Regexp
	replacement string
}{
	// Authorization header values: "Bearer <anything>".
	{regexp.MustCompile(`(?i)\b(bearer)\s+\S+`), "${1} " + Redacted},
	// API keys and user tokens: keep the prefix, hide the rest.
	{regexp.MustCompile(`(cm[kt])_[0-9A-Za-z]+`), "${1}_" + Redacted},
	// URL passwords (postgres://user:password@, redis://:password@): the
	// greedy match runs to the last '@' so a password holding one is hidden.
	{regexp.MustCompile(`([A-Za-z][A-Za-z0-9+.-]*://[^:/?#@\s]*):\S*@`), "${1}:" + Redacted + "@"},
	// Key-value settings whose name ends in "password": password=secret,
	// sslpassword='se cret', PGPASSWORD=secret.
	{regexp.MustCompile(`(?i)\b(\w*password)\s*=\s*('(?:[^'\\]|\\.)*'|\S+)`), "${1}=" + Redacted},
}

// Redact returns s with credential-looking text replaced: cmk_ and cmt_
// credentials, bearer tokens, passwords in URLs and in key=value settings.
func Redact(s string) string {
	if !mayHoldCredential(s) {
		return s
	}
	return applyRedactions(s)
}

// applyRedactions runs every redaction pattern over s.
func applyRedactions(s string) string {
	for _, r := range redactions {
		s = r.pattern.ReplaceAllString(s, r.replacement)
	}
	return s
}

// mayHoldCredential is a cheap test that every redaction pattern needs to
// pass, so that the common log string skips the regular expressions: each
// pattern requires one of the substrings scanString looks for, in one pass.
func mayHoldCredential(s string) bool {
	mayHold, _ := scanString(s)
	return mayHold
}

// sensitiveNames are field names whose values are always hidden.
var sensitiveNames = map[string]bool{
	"password":      true,
	"token":         true,
	"key":           true,
	"api_key":       true,
	"secret":        true,
	"authorization": true,
}

// sensitiveSuffixes hide compound names such as db_password or encryption_key.
var sensitiveSuffixes = []string{"_password", "_token", "_secret", "_key"}

// sensitiveField reports whether a field of that name holds a secret. Names
// are compared case-insensitively, with '-' read as '_'.
func sensitiveField(name string) bool {
	return !plainASCIIName(name) && sensitiveName(name)
}

// sensitiveName is sensitiveField without its fast path for names that
// cannot match.
func sensitiveName(name string) bool {
	n := strings.ReplaceAll(strings.ToLower(name), "-", "_")
	if sensitiveNames[n] {
		return true
	}
	for _, suffix := range sensitiveSuffixes {
		if strings.HasSuffix(n, suffix) {
			return true
		}
	}
	return false
}

// sensitiveWords end every sensitive name and suffix.
var sensitiveWords = []string{"password", "token", "key", "secret", "authorization"}

// plainASCIIName reports, without allocating, that an ASCII name is not
// sensitive: every sensitive name or suffix ends in one of sensitiveWords,
// in any case ('-' and '_' are not part of them). A non-ASCII name is left
// to the full check, whose lower-casing is Unicode's.
func plainASCIIName(name string) bool {
	for i := 0; i < len(name); i++ {
		if name[i] >= 0x80 {
			return false
		}
	}
	for _, w := range sensitiveWords {
		if len(name) >= len(w) && strings.EqualFold(name[len(name)-len(w):], w) {
			return false
		}
	}
	return true
}

// redactField returns the value to log for a field: Redacted for a
// sensitive name; strings, errors and slices of them redacted; maps redacted
// member by member, by name and value; a fmt.Stringer (a *url.URL, say)
// replaced by its redacted text when redaction changes that text; anything
// else as is.
func redactField(name string, value any) any {
	if sensitiveField(name) {
		return Redacted
	}
	switch v := value.(type) {
	case string:
		return Redact(v)
	case []string:
		out := make([]string, len(v))
		for i, s := range v {
			out[i] = Redact(s)
		}
		return out
	case []any:
		out := make([]any, len(v))
		for i, e := range v {
			out[i] = redactField("", e)
		}
		return out
	case map[string]string:
		out := make(map[string]string, len(v))
		for k, s := range v {
			out[k] = redactField(k, s).(string)
		}
		return out
	case map[string]any:
		return redactMap(v)
	case logrus.Fields:
		return logrus.Fields(redactMap(v))
	case error:
		return Redact(v.Error())
	case fmt.Stringer:
		// fmt.Sprint, unlike v.String(), survives a nil receiver.
		if text := fmt.Sprint(v); Redact(text) != text {
			return Redact(text)
		}
	}
	return value
}

// redactMap returns a copy of m with every member redacted by redactField.
func redactMap(m map[string]any) map[string]any {
	out := make(map[string]any, len(m))
	for k, e := range m {
		out[k] = redactField(k, e)
	}
	return out
}
