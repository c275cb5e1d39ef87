package sqltables

// tLex is what scan returns for a token it leaves to the lexer.
const tLex = tBodyEnd + 1

// run reads the text and returns what it names. scan reads most tokens:
// all those that need nothing of the parser but to be remembered as the
// previous token. The parser is given the others, with shortcuts for
// the commonest: FROM or JOIN followed by a one-word relation, a one-
// word relation where one is expected, the "name AS (" of a CTE, the end
// of a list of CTEs.
func (p *parser) run(dst []Ref) ([]Ref, error) {
	l := &p.lx
	for {
		f := p.cur()
		switch f.exp {
		case expCTEName:
			if p.cteHead(f) {
				continue
			}
		case expCTENext:
			if p.noComma() {
				// No other CTE follows: what with does, before the token
				// is read where no relation is expected.
				f.exp = expNone
				f.flags &^= flRecursive
			}
		}
		var mode uint8
		switch {
		case f.exp != expNone:
			mode = scanOne
		case sticky(f.stmt):
			mode = scanSticky
		}
		if f.flags&flList != 0 {
			mode |= scanList
		}
		if f.exp == expNone {
			mode |= scanParen
			if f.stmt == stOpaque {
				mode |= scanOpaque
			}
		}
		k, kw, start, stop, hist, out := scan(l.src[:l.end], l.pos, p.hist, mode)
		l.start, l.stop, l.pos = start, stop, stop
		p.hist = hist

		if out&scanList == 0 {
			f.flags &^= flList // ended by WHERE, GROUP BY ...
		}
		if out&scanSelect != 0 {
			f.flags |= flQuery
			f.stmt = stSelect
		}
		if k == tLex && stop == len(l.src) && l.nb == 0 {
			break // the end of the text (lexer.next returns tEOF)
		}
		if mode&scanOne != 0 {
			if k == tWord && kw == kwNone && f.exp == expRel && f.rk != rkColumn && nameEnds(l.src[:l.end], stop) {
				f.flags &^= flFirst
				p.oneWord(f)
				continue
			}
			if k == tLex {
				if k = l.next(); k == tEOF {
					break
				}
				if k == tWord && p.prev() != pDot {
					kw = lookup(l.src, l.start, l.stop)
				}
			}
			p.token(k, kw)
			continue
		}
		f.flags &^= flFirst
		if k == tLex {
			if k = l.next(); k == tEOF {
				break
			}
			if k == tWord && p.prev() != pDot {
				kw = lookup(l.src, l.start, l.stop)
			}
			if p.remember(f, k, kw) {
				continue
			}
		}
		if (kw == kwFrom || kw == kwJoin) && mode&scanSticky == 0 && k == tWord {
			p.fromJoin(f, kw)
			continue
		}
		// A keyword, a parenthesis, a comma or a ';': no state of a
		// relation position to go through.
		p.none(f, k, kw)
		p.setPrev(k, kw)
	}
	if l.err == nil {
		p.token(tEOF, kwNone) // ends the name being read
	}
	if l.err != nil {
		return dst, l.err
	}
	p.endStatement()
	if p.n == 0 {
		return dst, nil
	}
	out := dst
	if cap(out)-len(out) < p.n {
		out = make([]Ref, len(dst), len(dst)+p.n)
		copy(out, dst)
	}
	base := len(out)
	out = out[:base+p.n]
	// Field by field rather than with copy, which goes through
	// typedslicecopy and its write barriers for the whole block: the
	// compiler writes these inline.
	for i := range out[base : base+min(p.n, maxLocalRefs)] {
		q, o := &p.refs[i], &out[base+i]
		o.Schema, o.Name, o.Func = q.Schema, q.Name, q.Func
	}
	if p.n > maxLocalRefs {
		copy(out[base+maxLocalRefs:], p.more)
	}
	return out, nil
}

// oneWord adds the relation named by one word, not a function, read
// into p.lx where f expects a relation: what rel and finish would do.
func (p *parser) oneWord(f *frame) {
	f.exp = expNone
	p.hist = shift(p.hist, pIdent)
	name := p.name(p.lx.src[p.lx.start:p.lx.stop])
	if p.ncte > 0 && mayBeCTE(f.rk) && p.isCTE(name) {
		return
	}
	p.addRef(Ref{Name: name})
}

// fromJoin does what keyword does with FROM or JOIN (kw) outside the
// sticky statements, and when one word, not a function, follows, reads
// it as the relation at once.
func (p *parser) fromJoin(f *frame, kw uint8) {
	h := p.hist
	p.hist = shift(h, kw)
	if kw == kwFrom {
		if f.flags&flQuery == 0 || f.stmt == stCreateTable ||
			uint8(h) == kwDistinct && (uint8(h>>8) == kwIs || uint8(h>>8) == kwNot) {
			return // EXTRACT(... FROM), IS DISTINCT FROM, partition bounds
		}
		f.flags |= flList
		relation(f, fromKind(f))
	} else {
		relation(f, rkFrom)
	}
	l := &p.lx
	src := l.src[:l.end]
	i := skipSpaces(src, l.pos)
	if i == len(src) || class[src[i]] != cIdent {
		return
	}
	j := i + 1
	for j < len(src) && class[src[j]] <= cDollar {
		j++
	}
	if j == i+1 && j < len(src) && (src[j] == '\'' || src[j] == '&') ||
		lookup(src, i, j) != kwNone || !nameEnds(src, j) {
		return
	}
	l.start, l.stop, l.pos = i, j, j
	p.oneWord(f)
}

// cteHead reads "name AS (" where f expects the name of a CTE, when it
// is just that: what with would do with the three tokens.
func (p *parser) cteHead(f *frame) bool {
	l := &p.lx
	src := l.src[:l.end]
	i := skipSpaces(src, l.pos)
	if i == len(src) || class[src[i]] != cIdent {
		return false
	}
	j := i + 1
	for j < len(src) && class[src[j]] <= cDollar {
		j++
	}
	if j == i+1 && j < len(src) && (src[j] == '\'' || src[j] == '&') || lookup(src, i, j) != kwNone {
		return false
	}
	a := skipSpaces(src, j)
	if a+2 >= len(src) || src[a]|0x20 != 'a' || src[a+1]|0x20 != 's' || class[src[a+2]] <= cDollar {
		return false
	}
	b := skipSpaces(src, a+2)
	if b == len(src) || src[b] != '(' {
		return false
	}
	p.cte = span{start: i, stop: j, kind: tWord}
	f.flags &^= flFirst
	p.hist = shift(shift(shift(p.hist, pIdent), kwAs), pLParen)
	l.start, l.stop, l.pos = b, b+1, b+1
	p.cteBody(f)
	return true
}

// noComma reports whether the next token is not a comma, and not the
// end of a DO body, skipping spaces and comments.
func (p *parser) noComma() bool {
	src := p.lx.src[:p.lx.end]
	i := skipBlank(src, p.lx.pos, !p.sqlite)
	return i < len(src) && src[i] != ','
}

// skipSpaces returns the position of the first byte from i on that is
// no space.
func skipSpaces(src string, i int) int {
	for i < len(src) && class[src[i]] == cSpace {
		i++
	}
	return i
}

// nameEnds reports whether the token after src[:i], a word, ends the
// name the word starts: it is no '.', no '(' and no comment (which may
// hide a '.').
func nameEnds(src string, i int) bool {
	if i = skipSpaces(src, i); i >= len(src) {
		return true
	}
	c := class[src[i]]
	return c != cDot && c != cLParen && c != cMinus && c != cSlash
}

// remember records token k (keyword kw) of level f, which expects no
// relation, as the previous token, when that is all it needs: it is an
// identifier, a literal, an operator, a keyword without an action there,
// or a comma outside a list.
func (p *parser) remember(f *frame, k tokKind, kw uint8) bool {
	prev := pNone
	switch {
	case kw == kwNone:
		if boring[k] || k == tComma && f.flags&flList == 0 {
			prev = prevOf[k]
		}
	case kwFlags[kw]&fNoop != 0 && !sticky(f.stmt):
		prev = kw
	}
	if prev == pNone {
		return false
	}
	p.hist = shift(p.hist, prev)
	return true
}

// quiet tells what scan does with a keyword where no relation is
// expected, outside the sticky statements: 0, return it to the parser;
// quietPrev, only remember it (the fNoop keywords); quietEnder, remember
// it and end the list of relations (the clauses after a FROM list: the
// parser's keyword does nothing else with them); quietSelect (SELECT,
// VALUES), end the list too and, unless after FOR, return scanSelect:
// a query starts, FROM starts a FROM clause. (It has 256 entries, so
// that a uint8 indexes it without a bounds check.)
var quiet = func() (t [256]uint8) {
	for kw := range kwLast {
		if kwFlags[kw]&fNoop != 0 {
			t[kw] = quietPrev
		}
	}
	for _, kw := range []uint8{kwExcept, kwIntersect, kwUnion, kwGroup, kwHaving, kwLimit,
		kwOrder, kwReturning, kwWhere} {
		t[kw] = quietEnder
	}
	t[kwSelect] = quietSelect
	// The enders that may be a relation's alias go to the parser, which
	// tells (fAlias).
	for kw := range kwLast {
		if kwFlags[kw]&fAlias != 0 {
			t[kw] = 0
		}
	}
	return t
}()

const (
	quietPrev = 1 + iota
	quietEnder
	quietSelect
)

// tclCast reports whether the "::" at src[i] is followed by a name and
// a '(' or another ':': SQLite reads $1::x(...) as one parameter.
func tclCast(src string, i uint) bool {
	n := uint(len(src))
	if i+1 >= n || src[i+1] != ':' {
		return false
	}
	i += 2
	for i < n && class[src[i]] <= cDollar {
		i++
	}
	return i < n && (src[i] == '(' || src[i] == ':')
}

// shortRead is how far scan reads a string literal or a comment itself.
const shortRead = 64

// Modes of scan.
const (
	scanOne    = 1 << iota // a relation is expected: return the first token
	scanSticky             // the statement is sticky: keywords without action there are returned too
	scanList               // a comma starts another relation
	scanParen              // a '(' may be read ahead (see scan)
	scanOpaque             // the statement is opaque: so is a level opened here
	scanIn                 // reading ahead after a '('
	scanSelect             // returned: a SELECT or VALUES was read (see quiet)
)

// scan reads src from pos. It returns the first token for the parser
// (tLex for one it leaves to the lexer), where it starts and ends, with
// the keyword it is; h, the previous token, the one before and whether
// a statement starts, packed as prev | prev2<<8 | start<<16 (reading a
// token x as the previous one is h = h&0xFF<<8 | x); and the mode,
// without scanList when a keyword ended the list.
//
// Unless mode has scanOne, tokens that only need to be remembered as
// the previous token are read on. With scanParen, so is a '(' whose
// level holds only such tokens up to its ')', as the arguments of most
// function calls do: the level it would open and close changes nothing
// else. If anything else comes first, scan returns the '('.
//
// It is the hot loop: it is given and returns all it uses and calls no
// function, so that its state stays in registers. Positions are
// unsigned: checked against len(src), they need no other bounds check.
func scan(src string, start int, h uint32, m uint8) (k tokKind, kw uint8, from, to int, hist uint32, mout uint8) {
	mode := uint(m)
	n := uint(len(src))
	pos := uint(start)
	end := pos
	prefix := &kwPrefixNone
	if mode&scanOne != 0 {
		prefix = &kwPrefix
	}
	// The '(' read ahead from. The mode before it is kept in mode>>8&0xFF,
	// and the previous token before it in mode>>16.
	var open uint
	k = tLex
loop:
	for pos < n {
		// Spaces and words first, the most common: a switch would jump
		// through a table, a branch harder to predict.
		c := class[src[pos]]
		if c == cSpace {
			// Mostly one space between tokens: read on without a
			// branch back.
			if pos++; pos >= n {
				break
			}
			if c = class[src[pos]]; c == cSpace {
				continue
			}
		}
		if c == cIdent {
			// The word's end: four bytes a round, fewer branches taken.
			i := pos + 1
			for i+4 <= n {
				b := src[i : i+4] // one bounds check for the four
				if class[b[0]] > cDollar {
					goto end
				}
				if class[b[1]] > cDollar {
					i++
					goto end
				}
				if class[b[2]] > cDollar {
					i += 2
					goto end
				}
				if class[b[3]] > cDollar {
					i += 3
					goto end
				}
				i += 4
			}
			for i < n && class[src[i]] <= cDollar {
				i++
			}
		end:
			if i < n && (src[i] == '\'' || src[i] == '&') && i == pos+1 {
				break loop // perhaps a prefixed string: E'...', U&"..."
			}
			// One branch tells most words from keywords: the bit of
			// the word's length in its first two bytes' entry (none for
			// one byte: the second is the byte after it), cleared after
			// a '.'. Bits past maxKeyword are clear, but a longer word
			// may wrap to another (w&15).
			w := i - pos
			bit := prefix[uint(src[pos]&31)<<5|uint(src[min(pos+1, n-1)]&31)] >> (w & 15)
			if h&0xFF == uint32(pDot) {
				bit = 0
			}
			if bit&1 == 0 || w > maxKeyword {
				// No keyword, the common case: laid out to fall through.
				if mode&scanOne != 0 {
					k, end = tWord, i
					break loop
				}
				h = h&0xFF<<8 | uint32(pIdent)
				pos = i
				// A qualified name, "n.id": the '.' and the part after
				// it are read here, with none of the steps of the loop
				// around for each: what follows a '.' is no keyword.
				// Unless it is one letter before a quote or '&' (see
				// above), left to the steps that tell.
				for pos+1 < n && src[pos] == '.' && class[src[pos+1]] == cIdent {
					j := pos + 2
					for j < n && class[src[j]] <= cDollar {
						j++
					}
					if j == pos+2 && j < n && (src[j] == '\'' || src[j] == '&') {
						break
					}
					h = uint32(pDot)<<8 | uint32(pIdent)
					pos = j
				}
				continue
			}
			// Perhaps a keyword.
			if pos+12 > n {
				break loop // near the end: the lexer reads it
			}
			b := src[pos : pos+12] // one bounds check for both loads
			kw = kwFind((load8(b[:8])|fold)&loMask[w&15], (load4(b[8:])|fold)&hiMask[w&15])
			if mode&scanOne != 0 {
				k, end = tWord, i
				break loop
			}
			x := uint32(pIdent)
			if kw != kwNone {
				x = uint32(kw)
				switch a := quiet[kw]; {
				case a == 0 || mode&scanSticky != 0:
					k, end = tWord, i
					break loop
				case a == quietEnder:
					mode &^= scanList
				case a == quietSelect:
					if mode&scanIn != 0 {
						k, end = tWord, i
						break loop // a subquery: the parser opens its level
					}
					mode &^= scanList
					if h&0xFF != uint32(kwFor) { // FOR VALUES of a partition
						mode |= scanSelect
					}
				}
			}
			h = h&0xFF<<8 | x
			kw = kwNone
			pos = i
			continue
		}
		switch c {
		case cDigit:
			i := pos + 1
			for i < n && class[src[i]] == cDigit {
				i++
			}
			if mode&scanOne != 0 || i < n && (src[i] == '.' || src[i]|0x20 == 'e') {
				break loop // a fraction or an exponent, perhaps
			}
			h = h&0xFF<<8 | uint32(pOther)
			pos = i
			continue
		case cOther:
			if mode&scanOne != 0 {
				k = tOp
				break
			}
			h = h&0xFF<<8 | uint32(pOther)
			pos++
			continue
		case cDot:
			if pos+1 < n && class[src[pos+1]] == cDigit {
				break loop // .5
			}
			if mode&scanOne != 0 {
				k = tDot
				break
			}
			h = h&0xFF<<8 | uint32(pDot)
			pos++
			continue
		case cComma:
			if mode&(scanOne|scanList) != 0 {
				k = tComma
				break
			}
			h = h&0xFF<<8 | uint32(pComma)
			pos++
			continue
		case cLParen:
			if mode&scanParen != 0 {
				// Read ahead, as in the level the parser would open:
				// no list, sticky only in an opaque statement.
				open = pos
				mode = uint(h&0xFF)<<16 | mode<<8 | scanIn
				if mode&(scanOpaque<<8) != 0 {
					mode |= scanSticky
				}
				h = h&0xFF<<8 | uint32(pLParen)
				pos++
				continue
			}
			k = tLParen
		case cRParen:
			if mode&scanIn != 0 {
				mode = mode >> 8 & 0xFF
				h = h&0xFF<<8 | uint32(pRParen)
				pos++
				continue
			}
			k = tRParen
		case cSemi:
			k = tSemi
		case cQuote:
			// A string literal, short: '' stands for a quote. A longer
			// one is left to the lexer (strings.IndexByte).
			if mode&scanOne != 0 {
				break loop
			}
			j, lim := pos+1, min(n, pos+shortRead)
			for {
				for j < lim && src[j] != '\'' {
					j++
				}
				if j+1 < lim && src[j+1] == '\'' {
					j += 2
					continue
				}
				break
			}
			if j >= lim || j+1 < n && src[j+1] == '\'' {
				break loop
			}
			h = h&0xFF<<8 | uint32(pOther)
			pos = j + 1
			continue
		case cDollar, cQuestion:
			// $1, ?1: a parameter. Dollar quotes and $name are left to
			// the lexer.
			j := pos + 1
			for j < n && class[src[j]] == cDigit {
				j++
			}
			if mode&scanOne != 0 || c == cDollar && (j == pos+1 || j < n && (src[j] == '(' || src[j] == ':' && tclCast(src, j))) {
				break loop // or SQLite's $1(...), $1::x(...): the lexer reads them
			}
			h = h&0xFF<<8 | uint32(pOther)
			pos = j
			continue
		case cColon:
			// ::, :name, ':': all read as pOther.
			if mode&scanOne != 0 {
				break loop
			}
			j := pos + 1
			if j < n && src[j] == ':' {
				j++
			} else if j < n && class[src[j]] <= cDollar {
				for j < n && class[src[j]] <= cDollar {
					j++
				}
				if j < n && (src[j] == '(' || src[j] == ':') || class[src[pos+1]] != cIdent {
					break loop // SQLite's :1, :x(...), :x::y: the lexer reads them
				}
			}
			h = h&0xFF<<8 | uint32(pOther)
			pos = j
			continue
		case cMinus, cSlash:
			// A comment, short: "--" to the end of the line, or "/*" to
			// "*/" with no "/*" inside. Others are left to the lexer.
			if pos+1 < n && src[pos+1] == "-*"[c-cMinus] {
				j, lim := pos+2, min(n, pos+shortRead)
				if c == cMinus {
					// A '\r' ends the comment for PostgreSQL, not for
					// SQLite: the lexer, which knows which, reads on.
					for j < lim && src[j] != '\n' && src[j] != '\r' {
						j++
					}
					if j < n && src[j] == '\n' {
						pos = j + 1
						continue
					}
					if j == n {
						pos = n
						continue
					}
				} else {
					for j+1 < lim && src[j] != '*' && (src[j] != '/' || src[j+1] != '*') {
						j++
					}
					if j+1 < lim && src[j] == '*' && src[j+1] == '/' {
						pos = j + 2
						continue
					}
				}
				break loop
			}
			if mode&scanOne != 0 {
				k = tOp
				break
			}
			h = h&0xFF<<8 | uint32(pOther)
			pos++
			continue
		default:
			break loop
		}
		// A one-byte token.
		end = pos + 1
		break
	}
	if mode&scanIn != 0 {
		// Something inside the parentheses needs the parser: it is
		// given the '('. Of h before it, it needs only the previous
		// token: it shifts it into prev2 and reads a '('.
		pos, end, h, mode = open, open+1, uint32(mode>>16), mode>>8&0xFF
		k, kw = tLParen, kwNone
	}
	if k == tLex {
		end = pos
	}
	return k, kw, int(pos), int(end), h, uint8(mode)
}
