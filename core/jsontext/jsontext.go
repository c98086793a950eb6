// Package jsontext writes JSON strings byte for byte as encoding/json does,
// for the hand-written encoders on hot paths (the log formatter, the stored
// snapshot) whose output must not differ from encoding/json's.
package jsontext

import "unicode/utf8"

// plain marks the bytes AppendString copies as they are: printable ASCII
// but '"', '\\', '<', '>' and '&'.
var plain = func() (set [256]bool) {
	for c := 0x20; c < utf8.RuneSelf; c++ {
		set[c] = true
	}
	set['"'], set['\\'], set['<'], set['>'], set['&'] = false, false, false, false, false
	return set
}()

// Plain reports whether AppendString copies the byte c as it is: printable
// ASCII but '"', '\\', '<', '>' and '&'.
func Plain(c byte) bool { return plain[c] }

// hexDigits are the digits of \u escapes.
const hexDigits = "0123456789abcdef"

// AppendString appends s to b as a JSON string, as json.Marshal writes it
// (HTML escaping on): '"', '\\' and control characters escaped, '<', '>'
// and '&' as \u003c, \u003e and \u0026, invalid UTF-8 as \ufffd, and U+2028
// and U+2029 escaped.
func AppendString(b []byte, s string) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if plain[c] {
			i++
			continue
		}
		if c < utf8.RuneSelf {
			b = append(b, s[start:i]...)
			switch c {
			case '\\', '"':
				b = append(b, '\\', c)
			case '\b':
				b = append(b, '\\', 'b')
			case '\f':
				b = append(b, '\\', 'f')
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xF])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			b = append(append(b, s[start:i]...), `\ufffd`...)
		case r == '\u2028' || r == '\u2029':
			b = append(append(b, s[start:i]...), '\\', 'u', '2', '0', '2', hexDigits[r&0xF])
		default:
			i += size
			continue
		}
		i += size
		start = i
	}
	return append(append(b, s[start:]...), '"')
}
