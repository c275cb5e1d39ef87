package migrate

import "sync"

// progress calls the WithProgress function, one call at a time.
type progress struct {
	mu sync.Mutex
	fn func(Result)
}

func newProgress(o options) *progress { return &progress{fn: o.progress} }

// done reports r as finished.
func (p *progress) done(r Result) {
	if p == nil || p.fn == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.fn(r)
}
