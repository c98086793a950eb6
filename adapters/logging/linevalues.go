package logging

import (
	"log/slog"
	"math"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/sirupsen/logrus"

	"github.com/configmat/configmat/core/jsontext"
)

// Byte classes of scanString: a byte that jsontext.AppendString writes as it
// is and that no credential pattern needs (plain), one it escapes or decodes
// (escaped: control bytes, '"', '\\', '<', '>', '&', every non-ASCII byte),
// and the bytes one of the patterns holds ('_' of cmk_ and cmt_, ':' of ://,
// 'r' or 'R' of bearer and password, in any case: no other character folds
// to r; '=' of password=), each with the check it starts.
const (
	bytePlain = iota
	byteEscaped
	byteUnderscore
	byteColon
	byteR
	byteEquals
)

// stringBytes classifies every byte for scanString.
var stringBytes = func() (set [256]uint8) {
	for c := range set {
		if !jsontext.Plain(byte(c)) {
			set[c] = byteEscaped
		}
	}
	set['_'], set[':'], set['r'], set['R'], set['='] = byteUnderscore, byteColon, byteR, byteR, byteEquals
	return set
}()

// scanString answers, in one pass over s, whether s may hold a credential
// (mayHold: it holds "cmk_", "cmt_", "://" or "bearer", or "password" or a
// non-ASCII byte and an '=', the words in any case) and whether jsontext.AppendString writes s
// unchanged between its quotes (plain; meaningful only when mayHold is
// false). Each pattern is looked for from a byte every occurrence of it
// holds: "cmk_" and "cmt_" from their '_', "://" from its ':', "bearer" from
// its first r (index 3), "password" from its r (index 6), compared with
// strings.EqualFold. A window equal to an ASCII word under EqualFold is
// ASCII itself, but the password pattern folds Unicode ("paſsword", with a
// long s, matches it): a string with a non-ASCII byte and an '=' may hold a
// password too.
func scanString(s string) (mayHold, plain bool) {
	plain = true
	equals, password, nonASCII := false, false, false
	i := 0
	for ; len(s)-i >= 8; i += 8 { // skip plain runs 8 bytes at a time
		w := s[i : i+8]
		if stringBytes[w[0]]|stringBytes[w[1]]|stringBytes[w[2]]|stringBytes[w[3]]|
			stringBytes[w[4]]|stringBytes[w[5]]|stringBytes[w[6]]|stringBytes[w[7]] != bytePlain {
			break
		}
	}
	for ; i < len(s); i++ {
		class := stringBytes[s[i]]
		if class == bytePlain {
			continue
		}
		switch class {
		case byteEscaped:
			plain = false
			nonASCII = nonASCII || s[i] >= 0x80
		case byteUnderscore:
			if i >= 3 && s[i-3] == 'c' && s[i-2] == 'm' && (s[i-1] == 'k' || s[i-1] == 't') {
				return true, plain
			}
		case byteColon:
			if strings.HasPrefix(s[i+1:], "//") {
				return true, plain
			}
		case byteR:
			if i >= 3 && i+3 <= len(s) && strings.EqualFold(s[i-3:i+3], "bearer") {
				return true, plain
			}
			if !password && i >= 6 && i+2 <= len(s) && strings.EqualFold(s[i-6:i+2], "password") {
				password = true
			}
		case byteEquals:
			equals = true
		}
	}
	return equals && (password || nonASCII), plain
}

// appendCleanAttr appends v as appendJSONValue appends its logrus field, and
// reports true; or reports false when the line must be declined: a string
// the redaction could change (what plainJSON and cleanValue report), a float
// that is not finite, a kind without a field type.
func appendCleanAttr(out []byte, v slog.Value) ([]byte, bool) {
	switch v.Kind() {
	case slog.KindString:
		s := v.String()
		mayHold, plain := scanString(s)
		switch {
		case mayHold:
			return out, false
		case plain:
			out = append(out, '"')
			out = append(out, s...)
			return append(out, '"'), true
		}
		return jsontext.AppendString(out, s), true
	case slog.KindInt64:
		return strconv.AppendInt(out, v.Int64(), 10), true
	case slog.KindUint64:
		return strconv.AppendUint(out, v.Uint64(), 10), true
	case slog.KindBool:
		return strconv.AppendBool(out, v.Bool()), true
	case slog.KindFloat64:
		f := v.Float64()
		if math.IsNaN(f) || math.IsInf(f, 0) {
			return out, false
		}
		return appendJSONFloat(out, f, 64), true
	}
	return out, false
}

// levelValues are the levels' names as JSON strings, by level.
var levelValues = func() (values [logrus.TraceLevel + 1][]byte) {
	for l := range values {
		values[l] = jsontext.AppendString(nil, logrus.Level(l).String())
	}
	return values
}()

// appendLevel appends level's name as a JSON string.
func appendLevel(out []byte, level logrus.Level) []byte {
	if level <= logrus.TraceLevel {
		return append(out, levelValues[level]...)
	}
	return jsontext.AppendString(out, level.String())
}

// secondStamp is a second's time in one location as time.RFC3339Nano shows
// it: the date and time up to the seconds, and the zone.
type secondStamp struct {
	unix   int64
	loc    *time.Location
	prefix string
	zone   string
}

// rfc3339Seconds is the length of the date and time in time.RFC3339 up to
// the seconds, for years 0 to 9999.
const rfc3339Seconds = len("2006-01-02T15:04:05")

// stampClock writes times as time.RFC3339Nano does, formatting the date,
// the time and the zone once per second (the lines of one second share
// them): only the fraction is written per line.
type stampClock struct {
	last atomic.Pointer[secondStamp]
}

// appendTime appends t.AppendFormat(nil, time.RFC3339Nano).
func (c *stampClock) appendTime(out []byte, t time.Time) []byte {
	unix, loc := t.Unix(), t.Location()
	st := c.last.Load()
	if st == nil || st.unix != unix || st.loc != loc {
		st = newSecondStamp(t, unix, loc)
		if st == nil {
			return t.AppendFormat(out, time.RFC3339Nano)
		}
		c.last.Store(st)
	}
	out = append(out, st.prefix...)
	if ns := t.Nanosecond(); ns != 0 {
		var frac [10]byte
		frac[0] = '.'
		for i := 9; i > 0; i-- {
			frac[i] = byte('0' + ns%10)
			ns /= 10
		}
		n := 10
		for frac[n-1] == '0' {
			n--
		}
		out = append(out, frac[:n]...)
	}
	return append(out, st.zone...)
}

// newSecondStamp returns the stamp of t's second, or nil for a year
// outside 0 to 9999, whose date has another length.
func newSecondStamp(t time.Time, unix int64, loc *time.Location) *secondStamp {
	whole := t.Truncate(time.Second)
	text := whole.Format(time.RFC3339)
	if len(text) < rfc3339Seconds || text[rfc3339Seconds-3] != ':' || whole.Year() < 0 || whole.Year() > 9999 {
		return nil
	}
	return &secondStamp{unix: unix, loc: loc, prefix: text[:rfc3339Seconds], zone: text[rfc3339Seconds:]}
}
