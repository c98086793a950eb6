package logging

import (
	"fmt"
	"io"
	"log/slog"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/sirupsen/logrus"

	"github.com/configmat/configmat/core/jsontext"
)

// syncWriter serializes the writes to a JSON logger's output: logrus's
// (which also hold logrus's lock) and LineWriter's (which do not).
type syncWriter struct {
	mu sync.Mutex
	w  io.Writer
}

// Write implements io.Writer.
func (s *syncWriter) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.w.Write(p)
}

// LineWriter writes log lines whose fields are log/slog attributes, which
// hold a string, a number or a bool without boxing it, to a logger built by
// New with the JSON format. A line is byte for byte what the logger writes
// for the entry of the same level, time, message and fields (an attribute of
// kind String, Int64, Uint64, Float64 or Bool being a field of type string,
// int64, uint64, float64 or bool), but without logrus's entry machinery (its
// copies of the entry and of the fields, its lock pairs) or a field map.
//
// It writes a line only when the logger would write it so: no hook and no
// caller reporting on the logger, which keeps New's formatter and output;
// nothing the redaction would change (see RedactingFormatter); values of the
// kinds above, floats finite; at most maxFastFields attributes, none named
// time, level, msg or logrus_error, no key twice; a level above fatal. Else
// it writes nothing and reports false, and the caller logs through logrus.
// The logger's hooks, caller reporting, formatter and output are read
// without logrus's lock: they are set up before lines are written, as New
// does.
type LineWriter struct {
	logger *logrus.Logger
	// out and inner are New's output and the JSON formatter its
	// RedactingFormatter wraps; nil when logger does not come from New with
	// the JSON format.
	out   *syncWriter
	inner *jsonFormatter
	// shapes are the shapes of the last lines of different keys (at most
	// maxShapes), newest first: the access log's lines have a few.
	shapes atomic.Pointer[[]*attrShape]
	// clock writes the lines' times.
	clock stampClock
}

// maxShapes is the most line shapes a LineWriter keeps.
const maxShapes = 8

// Lines returns a LineWriter of logger. Unless logger was built by New with
// the JSON format, it declines every line.
func Lines(logger *logrus.Logger) *LineWriter {
	lw := &LineWriter{logger: logger}
	out, _ := logger.Out.(*syncWriter)
	rf, _ := logger.Formatter.(RedactingFormatter)
	if jf, ok := rf.Inner.(*jsonFormatter); ok && out != nil {
		lw.out, lw.inner = out, jf
	}
	return lw
}

// attrShape is the shape of the lines of a message whose attributes have
// keys, in this order: the members in output order (line) and, for each,
// the index of the attribute it shows (-1 for time, level and msg); the
// message encoded, and whether the redaction leaves it as it is. ok is
// false for keys that clash with an entry member or repeat, lines
// LineWriter declines.
type attrShape struct {
	message  string
	keys     []string
	line     *lineShape
	from     []int
	msg      []byte
	cleanMsg bool
	ok       bool
}

// newAttrShape returns the shape of lines of msg and attrs.
func newAttrShape(msg string, attrs []slog.Attr) *attrShape {
	shape := &attrShape{
		message: msg, keys: make([]string, len(attrs)),
		msg: jsontext.AppendString(nil, msg), cleanMsg: !mayHoldCredential(msg),
	}
	var buf [maxFastFields + 3]field
	fields := append(buf[:0], field{keyTime, -1}, field{keyLevel, -1}, field{keyMsg, -1})
	sensitive := false
	for i, a := range attrs {
		shape.keys[i] = a.Key
		switch a.Key {
		case keyTime, keyLevel, keyMsg, keyLogrusErr:
			return shape
		}
		sensitive = sensitive || sensitiveField(a.Key)
		fields = append(fields, field{a.Key, i})
	}
	sortFields(fields)
	for i := 1; i < len(fields); i++ {
		if fields[i].key == fields[i-1].key {
			return shape
		}
	}
	shape.line = newLineShape(fields, sensitive)
	shape.from = make([]int, len(fields))
	for i, fl := range fields {
		shape.from[i] = fl.value.(int)
	}
	shape.ok = true
	return shape
}

// matches reports whether the line of msg and attrs has the shape: the
// message, and the keys in this order.
func (s *attrShape) matches(msg string, attrs []slog.Attr) bool {
	if len(s.keys) != len(attrs) || s.message != msg {
		return false
	}
	for i, a := range attrs {
		if s.keys[i] != a.Key {
			return false
		}
	}
	return true
}

// linePool recycles the lines' buffers.
var linePool = sync.Pool{New: func() any { b := make([]byte, 0, 1024); return &b }}

// maxPooledLine is the largest buffer put back in linePool.
const maxPooledLine = 16 << 10

// WriteLine writes the line of level, time t (the current time when zero),
// msg and attrs, and reports true; or writes nothing and reports false (see
// LineWriter). Each attribute is checked as it is written, in one pass over
// a string (see scanString); a line declined midway is dropped unwritten. A
// failed write is reported on standard error, as logrus reports its own.
func (lw *LineWriter) WriteLine(level logrus.Level, t time.Time, msg string, attrs []slog.Attr) bool {
	l := lw.logger
	if lw.out == nil || level <= logrus.FatalLevel || !l.IsLevelEnabled(level) || l.ReportCaller || len(l.Hooks) > 0 ||
		l.Out != io.Writer(lw.out) || len(attrs) > maxFastFields {
		return false
	}
	if rf, ok := l.Formatter.(RedactingFormatter); !ok || rf.Inner != logrus.Formatter(lw.inner) {
		return false
	}
	shape := lw.shapeOf(msg, attrs)
	if !shape.ok || shape.line.sensitive || !shape.cleanMsg {
		return false
	}
	if t.IsZero() {
		t = time.Now()
	}
	buf := linePool.Get().(*[]byte)
	out := append((*buf)[:0], '{')
	clean := true
	for i, from := range shape.from {
		out = append(out, shape.line.prefixes[i]...)
		switch shape.line.members[i] {
		case memberTime:
			out = append(out, '"')
			out = lw.clock.appendTime(out, t)
			out = append(out, '"')
		case memberLevel:
			out = appendLevel(out, level)
		case memberMsg:
			out = append(out, shape.msg...)
		default:
			out, clean = appendCleanAttr(out, attrs[from].Value)
		}
		if !clean {
			break
		}
	}
	if clean {
		out = append(out, '}', '\n')
		if _, err := lw.out.Write(out); err != nil {
			_, _ = fmt.Fprintln(os.Stderr, "Failed to write to log:", err)
		}
	}
	if cap(out) <= maxPooledLine {
		*buf = out[:0]
		linePool.Put(buf)
	}
	return clean
}

// shapeOf returns the shape of the line of msg and attrs, from the kept
// shapes or new.
func (lw *LineWriter) shapeOf(msg string, attrs []slog.Attr) *attrShape {
	var kept []*attrShape
	if p := lw.shapes.Load(); p != nil {
		kept = *p
	}
	for _, shape := range kept {
		if shape.matches(msg, attrs) {
			return shape
		}
	}
	shape := newAttrShape(msg, attrs)
	shapes := append([]*attrShape{shape}, kept[:min(len(kept), maxShapes-1)]...)
	lw.shapes.Store(&shapes)
	return shape
}
