package logging

import (
	"bytes"
	"math"
	"reflect"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/sirupsen/logrus"

	"github.com/configmat/configmat/core/jsontext"
)

// JSON keys of an entry's own members (the production FieldMap keeps
// logrus's names) and of logrus's note of the fields it dropped.
const (
	keyTime      = "time"
	keyLevel     = "level"
	keyMsg       = "msg"
	keyLogrusErr = "logrus_error"
)

// maxFastFields is the most data fields jsonFormatter formats itself.
const maxFastFields = 24

// jsonFormatter writes an entry exactly as its fallback, a
// logrus.JSONFormatter with the default field names and HTML escaping, would,
// byte for byte, but without reflection or a copy of the fields, for the
// common entry: fields of plain strings, numbers, booleans, nils and errors,
// none named like an entry member, no caller and no field logrus dropped.
// Every other entry is formatted by the fallback. The access log writes one
// line per request, so this is on the hot path of every answer.
type jsonFormatter struct {
	fallback *logrus.JSONFormatter
	// shape is the sorted keys of the last line whose keys it sorted: lines
	// of one kind (the access log's) have the same keys, found by lookups
	// instead of iterating and sorting them again.
	shape atomic.Pointer[lineShape]
}

// lineShape is the members of a line in output order, its three entry
// members (time, level, msg) included: their keys, each key encoded with
// the comma before it and the colon after it, and what each is.
type lineShape struct {
	keys     []string
	prefixes []string
	members  []byte
	// sensitive reports whether a data key is a sensitive field name
	// (see sensitiveField), whose value redaction hides.
	sensitive bool
}

// newJSONFormatter returns the production JSON formatter: RFC 3339
// timestamps with nanoseconds.
func newJSONFormatter() *jsonFormatter {
	return &jsonFormatter{fallback: &logrus.JSONFormatter{
		TimestampFormat: time.RFC3339Nano,
		FieldMap: logrus.FieldMap{
			logrus.FieldKeyTime:  keyTime,
			logrus.FieldKeyLevel: keyLevel,
			logrus.FieldKeyMsg:   keyMsg,
		},
	}}
}

// field is one member of a line being formatted.
type field struct {
	key   string
	value any
}

// Format implements logrus.Formatter.
func (f *jsonFormatter) Format(entry *logrus.Entry) ([]byte, error) {
	if out, ok := f.encode(entry, false); ok {
		return out, nil
	}
	return f.fallback.Format(entry)
}

// formatClean formats entry as Format does when redaction would change
// nothing in it (see nothingToRedact), else it reports false and formats
// nothing: RedactingFormatter's check and the formatting in one walk over the
// fields.
func (f *jsonFormatter) formatClean(entry *logrus.Entry) ([]byte, bool) {
	return f.encode(entry, true)
}

// encode writes entry when jsonFormatter can write it itself and, with
// clean, when moreover redaction would change nothing in it.
func (f *jsonFormatter) encode(entry *logrus.Entry, clean bool) ([]byte, bool) {
	if entry.Caller != nil || len(entry.Data) > maxFastFields || droppedFields(entry) {
		return nil, false
	}
	if clean && mayHoldCredential(entry.Message) {
		return nil, false
	}
	var fieldBuf [maxFastFields + 3]field
	fields, shape, ok := f.fieldsOf(entry, fieldBuf[:0])
	if !ok || clean && shape.sensitive {
		return nil, false
	}
	for i, fl := range fields {
		if shape.members[i] == memberData && (!plainJSON(fl.value) || clean && !cleanValue(fl.value)) {
			return nil, false
		}
	}
	b := entry.Buffer
	if b == nil {
		b = new(bytes.Buffer)
	}
	out := b.AvailableBuffer()
	out = append(out, '{')
	for i, fl := range fields {
		out = append(out, shape.prefixes[i]...)
		switch shape.members[i] {
		case memberTime:
			out = append(out, '"')
			out = entry.Time.AppendFormat(out, time.RFC3339Nano)
			out = append(out, '"')
		case memberLevel:
			out = jsontext.AppendString(out, entry.Level.String())
		case memberMsg:
			out = jsontext.AppendString(out, entry.Message)
		default:
			out = appendJSONValue(out, fl.value)
		}
	}
	out = append(out, '}', '\n')
	b.Write(out)
	return b.Bytes(), true
}

// Kinds of the members of a line.
const (
	memberData byte = iota
	memberTime
	memberLevel
	memberMsg
)

// fieldsOf appends entry's members to buf in output order and returns the
// line's shape; false when a data key is an entry member's name (logrus
// renames those "fields.<key>", which the fallback does).
func (f *jsonFormatter) fieldsOf(entry *logrus.Entry, buf []field) ([]field, *lineShape, bool) {
	if shape := f.shape.Load(); shape != nil && len(shape.keys) == len(entry.Data)+3 {
		fields := buf
		for i, k := range shape.keys {
			if shape.members[i] != memberData {
				fields = append(fields, field{key: k})
				continue
			}
			v, found := entry.Data[k]
			if !found {
				break
			}
			fields = append(fields, field{key: k, value: v})
		}
		if len(fields) == len(shape.keys) {
			return fields, shape, true // the same keys, as many
		}
	}
	fields := append(buf[:0], field{key: keyTime}, field{key: keyLevel}, field{key: keyMsg})
	sensitive := false
	for k, v := range entry.Data {
		switch k {
		case keyTime, keyLevel, keyMsg, keyLogrusErr:
			return nil, nil, false
		}
		sensitive = sensitive || sensitiveField(k)
		fields = append(fields, field{key: k, value: v})
	}
	sortFields(fields)
	shape := newLineShape(fields, sensitive)
	f.shape.Store(shape)
	return fields, shape, true
}

// newLineShape returns the shape of a line of fields, sorted by key.
func newLineShape(fields []field, sensitive bool) *lineShape {
	shape := &lineShape{
		keys:      make([]string, len(fields)),
		prefixes:  make([]string, len(fields)),
		members:   make([]byte, len(fields)),
		sensitive: sensitive,
	}
	for i, fl := range fields {
		shape.keys[i] = fl.key
		var prefix []byte
		if i > 0 {
			prefix = append(prefix, ',')
		}
		prefix = append(jsontext.AppendString(prefix, fl.key), ':')
		shape.prefixes[i] = string(prefix)
		switch fl.key {
		case keyTime:
			shape.members[i] = memberTime
		case keyLevel:
			shape.members[i] = memberLevel
		case keyMsg:
			shape.members[i] = memberMsg
		}
	}
	return shape
}

// cleanValue reports what nothingToRedact reports of a field's value: a
// string without anything credential-like, or a nil, bool or number of the
// types it lists.
func cleanValue(v any) bool {
	switch v := v.(type) {
	case string:
		return !mayHoldCredential(v)
	case nil, bool, int, int64, int32, uint, uint64, uint32, float64, float32:
		return true
	}
	return false
}

// plainJSON reports whether appendJSONValue encodes v as encoding/json does.
func plainJSON(v any) bool {
	switch v := v.(type) {
	case nil, string, bool, int, int8, int16, int32, int64, uint, uint8, uint16, uint32, uint64, error:
		return true
	case float64:
		return !math.IsNaN(v) && !math.IsInf(v, 0)
	case float32:
		return !math.IsNaN(float64(v)) && !math.IsInf(float64(v), 0)
	}
	return false
}

// entryErr locates logrus.Entry's unexported err, where logrus notes the
// fields it dropped (func values); a logrus without it has every entry go
// to the fallback.
var entryErr = func() []int {
	field, ok := reflect.TypeFor[logrus.Entry]().FieldByName("err")
	if !ok || field.Type.Kind() != reflect.String {
		return nil
	}
	return field.Index
}()

// droppedFields reports whether logrus dropped a field of entry, which the
// fallback reports as logrus_error (or whether that cannot be known).
func droppedFields(entry *logrus.Entry) bool {
	if entryErr == nil {
		return true
	}
	return reflect.ValueOf(entry).Elem().FieldByIndex(entryErr).String() != ""
}

// appendJSONValue appends v (see plainJSON) as encoding/json encodes it; an
// error is its text, as logrus.JSONFormatter logs it.
func appendJSONValue(out []byte, v any) []byte {
	switch v := v.(type) {
	case nil:
		return append(out, "null"...)
	case string:
		return jsontext.AppendString(out, v)
	case error:
		return jsontext.AppendString(out, v.Error())
	case bool:
		return strconv.AppendBool(out, v)
	case int:
		return strconv.AppendInt(out, int64(v), 10)
	case int8:
		return strconv.AppendInt(out, int64(v), 10)
	case int16:
		return strconv.AppendInt(out, int64(v), 10)
	case int32:
		return strconv.AppendInt(out, int64(v), 10)
	case int64:
		return strconv.AppendInt(out, v, 10)
	case uint:
		return strconv.AppendUint(out, uint64(v), 10)
	case uint8:
		return strconv.AppendUint(out, uint64(v), 10)
	case uint16:
		return strconv.AppendUint(out, uint64(v), 10)
	case uint32:
		return strconv.AppendUint(out, uint64(v), 10)
	case uint64:
		return strconv.AppendUint(out, v, 10)
	case float64:
		return appendJSONFloat(out, v, 64)
	case float32:
		return appendJSONFloat(out, float64(v), 32)
	}
	panic("logging: appendJSONValue of a value plainJSON refuses")
}

// appendJSONFloat appends a finite float as encoding/json does: like ES6,
// the shortest decimal, in exponent form below 1e-6 and from 1e21, with the
// exponent unpadded.
func appendJSONFloat(out []byte, f float64, bits int) []byte {
	if bits == 64 && f > 0 && f < maxThousandths {
		if k := int64(math.Round(f * 1000)); float64(k)/1000 == f {
			return appendThousandths(out, k)
		}
	}
	abs := math.Abs(f)
	format := byte('f')
	if abs != 0 {
		if bits == 64 && (abs < 1e-6 || abs >= 1e21) || bits == 32 && (float32(abs) < 1e-6 || float32(abs) >= 1e21) {
			format = 'e'
		}
	}
	out = strconv.AppendFloat(out, f, format, -1, bits)
	if format == 'e' {
		n := len(out)
		if n >= 4 && out[n-4] == 'e' && out[n-3] == '-' && out[n-2] == '0' {
			out[n-2] = out[n-1]
			out = out[:n-1]
		}
	}
	return out
}

// maxThousandths bounds the floats appendThousandths writes: below it, the
// doubles are less than a thousandth apart, so the decimal k/1000 is the
// shortest one that reads back as float64(k)/1000.
const maxThousandths = 1 << 42

// appendThousandths appends k/1000, k > 0, as strconv writes the shortest
// decimal of float64(k)/1000 (below maxThousandths): the integer part, and
// the thousandths without trailing zeros. A duration in milliseconds with
// microsecond precision, which every access log line holds, is such a
// float; formatting it so skips the general shortest-decimal search.
func appendThousandths(out []byte, k int64) []byte {
	out = strconv.AppendInt(out, k/1000, 10)
	frac := k % 1000
	if frac == 0 {
		return out
	}
	digits := [3]byte{byte('0' + frac/100), byte('0' + frac/10%10), byte('0' + frac%10)}
	n := 3
	for digits[n-1] == '0' {
		n--
	}
	return append(append(out, '.'), digits[:n]...)
}

// sortFields sorts fields by key, as encoding/json orders a map's members:
// an insertion sort, since a line has a handful of fields.
func sortFields(fields []field) {
	for i := 1; i < len(fields); i++ {
		for j := i; j > 0 && fields[j].key < fields[j-1].key; j-- {
			fields[j], fields[j-1] = fields[j-1], fields[j]
		}
	}
}
