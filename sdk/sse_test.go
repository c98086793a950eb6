package sdk

import (
	"errors"
	"io"
	"slices"
	"strings"
	"testing"
	"testing/iotest"
)

func TestSSEReader(t *testing.T) {
	cases := []struct {
		name, stream string
		want         []event
		lines        int
	}{
		{name: "LF", stream: "event: config\nid: e1\ndata: {\"a\":1}\n\n",
			want: []event{{name: "config", id: "e1", data: []byte(`{"a":1}`)}}, lines: 4},
		{name: "CRLF", stream: "event: config\r\nid: e1\r\ndata: x\r\n\r\n",
			want: []event{{name: "config", id: "e1", data: []byte("x")}}, lines: 4},
		{name: "CR", stream: "event: config\rid: e1\rdata: x\r\r",
			want: []event{{name: "config", id: "e1", data: []byte("x")}}, lines: 4},
		{name: "several data lines are joined by LF", stream: "data: a\ndata:b\ndata:  c\n\n",
			want: []event{{name: "message", data: []byte("a\nb\n c")}}, lines: 4},
		{name: "comments and keep-alives are skipped", stream: ": keep-alive\n\n: hi\nevent: deleted\ndata: {}\n\n",
			want: []event{{name: "deleted", data: []byte("{}")}}, lines: 6},
		{name: "an event without data is not dispatched", stream: "event: config\nid: e1\n\nevent: deleted\ndata: d\n\n",
			want: []event{{name: "deleted", data: []byte("d")}}, lines: 6},
		{name: "an id holding NUL is ignored", stream: "id: a\x00b\ndata: x\n\n",
			want: []event{{name: "message", data: []byte("x")}}, lines: 3},
		{name: "a field without a colon", stream: "data\nevent\n\n",
			want: []event{{name: "message", data: []byte("")}}, lines: 3},
		{name: "unknown fields and retry are ignored", stream: "retry: 10\nfoo: bar\ndata: x\n\n",
			want: []event{{name: "message", data: []byte("x")}}, lines: 4},
		{name: "an event cut off by the end is dropped", stream: "event: config\ndata: {\"a\":1}\n\nevent: config\ndata: {\"a\"",
			want: []event{{name: "config", data: []byte(`{"a":1}`)}}, lines: 4},
		{name: "two events", stream: "event: config\nid: 1\ndata: a\n\nevent: config\nid: 2\ndata: b\n\n",
			want: []event{{name: "config", id: "1", data: []byte("a")}, {name: "config", id: "2", data: []byte("b")}}, lines: 8},
	}
	for _, tc := range cases {
		for _, reader := range []struct {
			name string
			wrap func(io.Reader) io.Reader
		}{{"whole", func(r io.Reader) io.Reader { return r }}, {"byte by byte", iotest.OneByteReader}} {
			t.Run(tc.name+"/"+reader.name, func(t *testing.T) {
				lines := 0
				r := newSSEReader(reader.wrap(strings.NewReader(tc.stream)), func() { lines++ })
				var got []event
				for {
					ev, err := r.next()
					if errors.Is(err, io.EOF) {
						break
					}
					if err != nil {
						t.Fatal(err)
					}
					ev.data = slices.Clone(ev.data)
					got = append(got, ev)
				}
				if !slices.EqualFunc(got, tc.want, func(a, b event) bool {
					return a.name == b.name && a.id == b.id && string(a.data) == string(b.data)
				}) {
					t.Errorf("events %q, want %q", got, tc.want)
				}
				if lines != tc.lines {
					t.Errorf("%d lines seen, want %d", lines, tc.lines)
				}
			})
		}
	}
}

func TestSSEReaderLongLine(t *testing.T) {
	long := strings.Repeat("x", 300<<10)
	r := newSSEReader(strings.NewReader("data: "+long+"\n\n"), nil)
	ev, err := r.next()
	if err != nil || string(ev.data) != long {
		t.Fatalf("a 300 KiB line: %d bytes, %v", len(ev.data), err)
	}
}

func TestIsEventStream(t *testing.T) {
	for ct, want := range map[string]bool{
		"text/event-stream":                true,
		"text/event-stream; charset=utf-8": true,
		"Text/Event-Stream":                true,
		"text/html":                        false,
		"application/json":                 false,
		"":                                 false,
	} {
		if got := isEventStream(ct); got != want {
			t.Errorf("isEventStream(%q) = %t", ct, got)
		}
	}
}
