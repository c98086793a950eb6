package e2etest

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
)

// Event is one Server-Sent Event of a watch stream, or a comment line (then
// only Comment is set).
type Event struct {
	Name, ID, Data string
	Comment        string
}

// EventStream reads the events of one open watch stream.
type EventStream struct {
	// Response is the stream's answer; its body is read by Next.
	Response *http.Response
	r        *bufio.Reader
	cancel   context.CancelFunc
}

// OpenStream sends GET url with the given headers and returns the stream of
// its answer, whatever its status (check Response.StatusCode). Close ends
// it.
func OpenStream(ctx context.Context, client *http.Client, url string, headers map[string]string) (*EventStream, error) {
	ctx, cancel := context.WithCancel(ctx)
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		cancel()
		return nil, err
	}
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	resp, err := client.Do(req)
	if err != nil {
		cancel()
		return nil, err
	}
	return &EventStream{Response: resp, r: bufio.NewReader(resp.Body), cancel: cancel}, nil
}

// Next reads the next event or comment: io.EOF when the server ended the
// stream, another error for a line that is not Server-Sent Events.
func (s *EventStream) Next() (Event, error) {
	var ev Event
	for {
		line, err := s.r.ReadString('\n')
		if err != nil {
			if err == io.EOF && line != "" {
				return ev, fmt.Errorf("stream ended inside a line: %q", line)
			}
			return ev, err
		}
		line = strings.TrimSuffix(line, "\n")
		switch {
		case line == "":
			return ev, nil
		case strings.HasPrefix(line, ":"):
			ev.Comment = strings.TrimSpace(line[1:])
		case strings.HasPrefix(line, "event: "):
			ev.Name = line[len("event: "):]
		case strings.HasPrefix(line, "id: "):
			ev.ID = line[len("id: "):]
		case strings.HasPrefix(line, "data: "):
			ev.Data = line[len("data: "):]
		default:
			return ev, fmt.Errorf("not a line of Server-Sent Events: %q", line)
		}
	}
}

// NextEvent reads up to the next event, skipping comments.
func (s *EventStream) NextEvent() (Event, error) {
	for {
		ev, err := s.Next()
		if err != nil || ev.Comment == "" {
			return ev, err
		}
	}
}

// Close ends the stream from the client's side.
func (s *EventStream) Close() {
	s.cancel()
	_ = s.Response.Body.Close()
}
