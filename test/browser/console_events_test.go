package browser

import (
	"context"
	"fmt"
	"strings"
	"sync"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
)

// listenConsole records, in errs, every console.error the page logs,
// every exception it does not catch and every error the browser logs for
// it (a script, style or connection the Content-Security-Policy refuses is
// one), so that a scenario fails on them.
func listenConsole(ctx context.Context, errs *pageErrors) error {
	err := chromedp.Listen(ctx, func(ev any) {
		var line string
		switch e := ev.(type) {
		case *log.EventEntryAdded:
			// A failed request is the API's answer, which the page shows
			// (the register probe's 400 among them), not a fault of the page.
			if e.Entry.Level != log.EntryLevelError || e.Entry.Source == log.EntrySourceNetwork {
				return
			}
			line = fmt.Sprintf("browser log (%s): %s %s", e.Entry.Source, e.Entry.Text, e.Entry.URL)
		case *runtime.EventConsoleAPICalled:
			if e.Type != runtime.ConsoleAPICalledTypeError {
				return
			}
			var parts []string
			for _, a := range e.Args {
				parts = append(parts, strings.Trim(string(a.Value), `"`)+a.Description)
			}
			line = "console.error: " + strings.Join(parts, " ")
		case *runtime.EventExceptionThrown:
			line = fmt.Sprintf("exception: %s %s", e.ExceptionDetails.Text, exceptionText(e.ExceptionDetails))
		default:
			return
		}
		errs.add(line)
	})
	if err != nil {
		return err
	}
	return chromedp.Do(ctx, func(ctx context.Context, t *chromedp.Target) (chromedp.Void, error) {
		_, err := cdp.Call(ctx, t, log.Enable, cdp.Empty{})
		return chromedp.Void{}, err
	})
}

func exceptionText(d *runtime.ExceptionDetails) string {
	if d.Exception != nil {
		return d.Exception.Description
	}
	return ""
}

// pageErrors collects what a tab logged as errors; the tab's event loop
// adds, the test takes.
type pageErrors struct {
	mu    sync.Mutex
	lines []string
}

func (p *pageErrors) add(line string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.lines = append(p.lines, line)
}

// take returns the lines collected since the last take.
func (p *pageErrors) take() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := p.lines
	p.lines = nil
	return out
}
