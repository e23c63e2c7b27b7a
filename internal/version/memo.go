package version

import (
	"sync"
)

// maxMemoEntries bounds a Memo, so a fleet of charts with all-different tags cannot make
// it grow without limit; past it, work is simply not remembered.
const maxMemoEntries = 200_000

// Memo remembers parsed tags and constraint checks across the repositories of one run.
// Fleets reuse the same version strings and the same few policies across hundreds of
// charts, and Masterminds' Check formats an error for every version it rejects, so
// answering each (constraint, tag) once saves most of the work. Safe for concurrent use.
type Memo struct {
	mu          sync.Mutex
	tags        map[string]*Version // nil value: not a version
	allows      map[memoKey]bool
	constraints map[string]parsedConstraint
}

type parsedConstraint struct {
	c   *Constraint
	err error
}

type memoKey struct{ constraint, tag string }

// NewMemo returns an empty Memo.
func NewMemo() *Memo {
	return &Memo{tags: map[string]*Version{}, allows: map[memoKey]bool{}, constraints: map[string]parsedConstraint{}}
}

// ParseTags is the package's ParseTags, remembering each tag's parse.
func (m *Memo) ParseTags(tags []string) (versions []Version, ignored []string) {
	if m == nil {
		return ParseTags(tags)
	}
	return parseTags(tags, m.parse)
}

func (m *Memo) parse(tag string) (Version, bool) {
	m.mu.Lock()
	v, known := m.tags[tag]
	m.mu.Unlock()
	if known {
		if v == nil {
			return Version{}, false
		}
		return *v, true
	}
	parsed, err := ParseTag(tag)
	m.mu.Lock()
	defer m.mu.Unlock()
	if len(m.tags) < maxMemoEntries {
		if err != nil {
			m.tags[tag] = nil
		} else {
			m.tags[tag] = &parsed
		}
	}
	return parsed, err == nil
}

// Allows is c.Allows(v), remembered.
func (m *Memo) Allows(c *Constraint, v Version) bool {
	if m == nil {
		return c.Allows(v)
	}
	k := memoKey{c.text, v.Tag}
	m.mu.Lock()
	ok, known := m.allows[k]
	m.mu.Unlock()
	if known {
		return ok
	}
	ok = c.Allows(v)
	m.mu.Lock()
	if len(m.allows) < maxMemoEntries {
		m.allows[k] = ok
	}
	m.mu.Unlock()
	return ok
}

// ParseConstraint is the package's ParseConstraint, remembered: a fleet states a handful
// of policies over thousands of sources, and Masterminds parses each with regular
// expressions. The Constraint returned is shared, which is safe: it never changes.
func (m *Memo) ParseConstraint(text string) (*Constraint, error) {
	if m == nil {
		return ParseConstraint(text)
	}
	m.mu.Lock()
	p, known := m.constraints[text]
	m.mu.Unlock()
	if known {
		return p.c, p.err
	}
	c, err := ParseConstraint(text)
	m.mu.Lock()
	if len(m.constraints) < maxMemoEntries {
		m.constraints[text] = parsedConstraint{c, err}
	}
	m.mu.Unlock()
	return c, err
}
