package sdk

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"strings"
)

// event is one server-sent event (the WHATWG "text/event-stream" format).
type event struct {
	// name is the event field, "message" when the event had none.
	name string
	// id is this event's id field, "" without one.
	id   string
	data []byte
}

// maxEventBytes bounds one event (a configuration of 5,000 values of up to
// 64 KiB each, with room to spare), so that a broken stream cannot grow a
// buffer without end.
const maxEventBytes = 512 << 20

// errEventTooLarge is an event over maxEventBytes.
var errEventTooLarge = errors.New("configmat: a watch event is too large")

// sseReader reads events from a text/event-stream body.
type sseReader struct {
	r *bufio.Reader
	// activity is called for every line read, comments included.
	activity func()
	// skipLF is set after a line ended by CR: a following LF belongs to it.
	skipLF bool
	line   []byte
}

func newSSEReader(r io.Reader, activity func()) *sseReader {
	return &sseReader{r: bufio.NewReaderSize(r, 64<<10), activity: activity}
}

// next returns the next event, or the error that ended the stream (io.EOF
// for a clean end). An event cut off by the end of the stream is dropped,
// as the format says.
func (s *sseReader) next() (event, error) {
	var ev event
	var data bytes.Buffer
	hasData := false
	size := 0
	for {
		line, err := s.readLine()
		if err != nil {
			return event{}, err
		}
		if s.activity != nil {
			s.activity()
		}
		if len(line) == 0 {
			if !hasData {
				ev = event{} // an event without data is not dispatched
				continue
			}
			if ev.name == "" {
				ev.name = "message"
			}
			ev.data = bytes.TrimSuffix(data.Bytes(), []byte("\n"))
			return ev, nil
		}
		size += len(line)
		if size > maxEventBytes {
			return event{}, errEventTooLarge
		}
		if line[0] == ':' {
			continue // a comment: keep-alive
		}
		field, value, _ := bytes.Cut(line, []byte(":"))
		value = bytes.TrimPrefix(value, []byte(" "))
		switch string(field) {
		case "event":
			ev.name = string(value)
		case "data":
			data.Write(value)
			data.WriteByte('\n')
			hasData = true
		case "id":
			if !bytes.ContainsRune(value, 0) {
				ev.id = string(value)
			}
		}
	}
}

// readLine returns the next line without its end (LF, CRLF or CR). The
// returned slice is valid until the next call.
func (s *sseReader) readLine() ([]byte, error) {
	s.line = s.line[:0]
	for {
		if _, err := s.r.Peek(1); err != nil {
			return nil, err // a line cut off by the end is dropped
		}
		buf, _ := s.r.Peek(s.r.Buffered())
		if s.skipLF {
			s.skipLF = false
			if buf[0] == '\n' {
				_, _ = s.r.Discard(1)
				continue
			}
		}
		i := bytes.IndexAny(buf, "\r\n")
		if i < 0 {
			s.line = append(s.line, buf...)
			_, _ = s.r.Discard(len(buf))
			if len(s.line) > maxEventBytes {
				return nil, errEventTooLarge
			}
			continue
		}
		s.line = append(s.line, buf[:i]...)
		s.skipLF = buf[i] == '\r'
		_, _ = s.r.Discard(i + 1)
		return s.line, nil
	}
}

// isEventStream reports whether a Content-Type is text/event-stream.
func isEventStream(contentType string) bool {
	mediaType, _, _ := strings.Cut(contentType, ";")
	return strings.EqualFold(strings.TrimSpace(mediaType), "text/event-stream")
}
