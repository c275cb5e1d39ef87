package sqltables

import (
	"bytes"
	"strings"
	"unicode/utf16"
	"unicode/utf8"
)

// tokKind is the kind of a token.
type tokKind uint8

const (
	tEOF     tokKind = iota
	tWord            // unquoted identifier or keyword
	tQuoted          // quoted identifier: "x", U&"x", `x`, [x]
	tString          // plain string literal '...'
	tXString         // prefixed string literal: E'...', B'...', X'...', N'...', U&'...'
	tDollar          // dollar-quoted string $tag$...$tag$
	tNumber          // numeric literal
	tParam           // placeholder: ?, ?1, $1, :name, @name, $name, SQLite's #name
	tLParen          // (
	tRParen          // )
	tComma           // ,
	tDot             // .
	tSemi            // ;
	tOp              // any other operator or punctuation
	tBodyEnd         // end of a DO body entered with enter
)

// maxBodies bounds the nesting of DO bodies read as SQL.
const maxBodies = 8

// body is a DO body being read: where the text resumes after it, and
// the end limit to restore. (It ends at the lexer's end while read.)
type body struct{ resume, outer int }

// lexer splits SQL into tokens, one at a time, without allocating.
type lexer struct {
	src    string
	pos    int // next byte to read
	end    int // bytes from end on are not read (the end of a DO body)
	pg     bool
	joined bool  // the string literal just read has parts: 'a'\n'b' (in pg's padding)
	around uint8 // DO bodies the text is itself the body of (readBody)
	start  int   // the current token is src[start:stop]
	stop   int
	tag    int // length of a tDollar token's $tag$
	nb     int
	bodies [maxBodies]body
	err    *Error
}

// Character classes: what a token starting with the byte is. The first
// three are the bytes that may continue an identifier (which may hold
// '$' after its first character): class[c] <= cDollar.
const (
	cIdent uint8 = iota // a letter, '_' or a byte of a multi-byte character
	cDigit
	cDollar
	cOther
	cSpace
	cLParen
	cRParen
	cComma
	cSemi
	cDot
	cQuote
	cDQuote
	cBacktick
	cLBracket
	cMinus
	cSlash
	cQuestion
	cColon
	cAt
	cHash
)

var class = func() (t [256]uint8) {
	for c := 0; c < 256; c++ {
		t[c] = cOther
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v':
			t[c] = cSpace
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c == '_', c >= 0x80:
			t[c] = cIdent
		case c >= '0' && c <= '9':
			t[c] = cDigit
		}
	}
	for c, k := range map[byte]uint8{'(': cLParen, ')': cRParen, ',': cComma, ';': cSemi, '.': cDot,
		'\'': cQuote, '"': cDQuote, '`': cBacktick, '[': cLBracket, '-': cMinus, '/': cSlash,
		'$': cDollar, '?': cQuestion, ':': cColon, '@': cAt, '#': cHash} {
		t[c] = k
	}
	return t
}()

// identCont reports whether c may continue an identifier.
func identCont(c byte) bool { return class[c] <= cDollar }

// tagCont reports whether c may continue a dollar-quote tag.
func tagCont(c byte) bool { return class[c] == cIdent || class[c] == cDigit }

// enter makes the lexer read src[start:stop] (a DO body) as SQL, then
// return tBodyEnd and resume at resume.
func (l *lexer) enter(start, stop, resume int) bool {
	if l.nb+int(l.around) >= maxBodies {
		return false
	}
	l.bodies[l.nb] = body{resume: resume, outer: l.end}
	l.nb++
	l.pos, l.end = start, stop
	return true
}

func (l *lexer) fail(what string) tokKind { return l.failAt(l.start, what) }

// failAt is fail for an error at byte at.
func (l *lexer) failAt(at int, what string) tokKind {
	if l.err != nil {
		return tEOF
	}
	l.err = &Error{Offset: at, What: what}
	l.pos = len(l.src)
	l.end = l.pos
	l.nb = 0
	return tEOF
}

// next reads the next token: its kind, and its bytes in src[start:stop].
// It returns tEOF at the end of the text and on an error, left in err.
func (l *lexer) next() tokKind {
	src := l.src[:l.end]
	for {
		pos := l.pos
		for pos < len(src) && class[src[pos]] == cSpace {
			pos++
		}
		l.pos, l.start = pos, pos
		if pos >= len(src) {
			return l.atEnd()
		}
		c := src[pos]
		cl := class[c]
		if cl == cIdent {
			i := pos + 1
			for i < len(src) && identCont(src[i]) {
				i++
			}
			if i == pos+1 && i < len(src) && (src[i] == '\'' || src[i] == '&') {
				if k := l.prefixed(c, i); k != tEOF || l.err != nil {
					return k
				}
			}
			l.pos, l.stop = i, i
			return tWord
		}
		switch cl {
		case cDigit:
			return l.number()
		case cLParen:
			l.pos, l.stop = pos+1, pos+1
			return tLParen
		case cRParen:
			l.pos, l.stop = pos+1, pos+1
			return tRParen
		case cComma:
			l.pos, l.stop = pos+1, pos+1
			return tComma
		case cSemi:
			l.pos, l.stop = pos+1, pos+1
			return tSemi
		case cDot:
			if pos+1 < len(src) && class[src[pos+1]] == cDigit {
				return l.number()
			}
			l.pos, l.stop = pos+1, pos+1
			return tDot
		case cQuote:
			return l.quoted(pos, '\'', false, tString)
		case cDQuote:
			return l.quoted(pos, '"', false, tQuoted)
		case cBacktick:
			if !l.pg {
				return l.quoted(pos, '`', false, tQuoted)
			}
		case cLBracket:
			if !l.pg {
				i := strings.IndexByte(src[pos+1:], ']')
				if i < 0 {
					return l.fail("quoted identifier")
				}
				l.pos = pos + i + 2
				l.stop = l.pos
				return tQuoted
			}
		case cMinus:
			if pos+1 < len(src) && src[pos+1] == '-' {
				l.pos = lineCommentEnd(src, pos, l.pg)
				continue
			}
		case cSlash:
			if pos+1 < len(src) && src[pos+1] == '*' {
				if !l.comment() {
					return l.fail("block comment")
				}
				continue
			}
		case cDollar:
			return l.dollar()
		case cQuestion:
			i := pos + 1
			for i < len(src) && class[src[i]] == cDigit {
				i++
			}
			l.pos, l.stop = i, i
			return tParam
		case cColon:
			if pos+1 < len(src) {
				switch n := src[pos+1]; {
				case n == ':':
					l.pos, l.stop = pos+2, pos+2
					return tOp
				case class[n] == cIdent || !l.pg && identCont(n):
					return l.param()
				}
			}
		case cAt, cHash:
			// SQLite reads #name as it reads @name; PostgreSQL's # is an
			// operator.
			if pos+1 < len(src) && (cl == cAt && class[src[pos+1]] == cIdent || !l.pg && identCont(src[pos+1])) {
				return l.param()
			}
		}
		l.pos, l.stop = pos+1, pos+1
		return tOp
	}
}

// atEnd returns tBodyEnd at the end of a DO body, else tEOF.
func (l *lexer) atEnd() tokKind {
	if l.nb > 0 {
		l.nb--
		b := l.bodies[l.nb]
		l.start, l.stop = l.end, l.end
		l.pos, l.end = b.resume, b.outer
		return tBodyEnd
	}
	l.stop = l.end
	return tEOF
}

func (l *lexer) one(k tokKind) tokKind {
	l.pos++
	l.stop = l.pos
	return k
}

// param reads :name, @name or $name (SQLite's #name, :1, $1 ...
// too). SQLite reads Tcl's suffixes as part of the name, as its
// tokenizer does: "::" and another part, and after a part a "(...)"
// that runs to the first ')' or space ($a::b(c), :x(/*)).
func (l *lexer) param() tokKind {
	src := l.src[:l.end]
	i := l.pos + 1
	n := 0
	for i < len(src) {
		switch c := src[i]; {
		case identCont(c):
			n++
			i++
			continue
		case l.pg:
		case c == ':' && i+1 < len(src) && src[i+1] == ':':
			i += 2
			continue
		case c == '(' && n > 0:
			i++
			for i < len(src) && src[i] != ')' && class[src[i]] != cSpace {
				i++
			}
			if i < len(src) && src[i] == ')' {
				i++
			}
		}
		break
	}
	l.pos, l.stop = i, i
	return tParam
}

// prefixed reads a prefixed string (E”, B”, X”, N”, U&”) or
// identifier (U&""), whose one-letter prefix c is before src[i]; it
// returns tEOF (and no error) when there is none.
func (l *lexer) prefixed(c byte, i int) tokKind {
	src := l.src
	switch c | 0x20 {
	case 'e':
		if l.pg && src[i] == '\'' {
			return l.quoted(i, '\'', true, tXString)
		}
	case 'b', 'n':
		if l.pg && src[i] == '\'' {
			return l.quoted(i, '\'', false, tXString)
		}
	case 'x':
		if src[i] == '\'' {
			return l.quoted(i, '\'', false, tXString)
		}
	case 'u':
		if l.pg && src[i] == '&' && i+1 < l.end {
			switch src[i+1] {
			case '\'':
				return l.quoted(i+1, '\'', false, tXString)
			case '"':
				return l.quoted(i+1, '"', false, tQuoted)
			}
		}
	}
	return tEOF
}

// quoted reads from the delimiter q at src[i] to its closing twin; a
// doubled delimiter stands for itself, and so does any byte after a
// backslash when backslash is set. A PostgreSQL string literal goes on
// in the next one when only white space holding a newline is between
// them ('a'\n'b' is 'ab'), and the parts after an E'...' one are
// E'...' parts too.
func (l *lexer) quoted(i int, q byte, backslash bool, k tokKind) tokKind {
	src := l.src
	l.joined = false
	i++
	for {
		j := strings.IndexByte(src[i:l.end], q)
		if backslash {
			if b := strings.IndexByte(src[i:l.end], '\\'); b >= 0 && (j < 0 || b < j) {
				i += b + 2
				if i > l.end {
					break
				}
				continue
			}
		}
		if j < 0 {
			break
		}
		i += j + 1
		if i < l.end && src[i] == q {
			i++
			continue
		}
		if k != tQuoted && l.pg {
			if c := continued(src[:l.end], i); c >= 0 {
				i = c + 1
				l.joined = true
				continue
			}
		}
		l.pos, l.stop = i, i
		return k
	}
	if k == tQuoted {
		return l.fail("quoted identifier")
	}
	return l.fail("string literal")
}

// continued returns the position of the quote that continues the
// PostgreSQL string literal ended before src[i], or -1 when none does:
// between them only spaces and "--" comments, with at least one line
// end (PostgreSQL's {whitespace_with_newline}).
func continued(src string, i int) int {
	nl := false
	for i < len(src) {
		switch c := src[i]; {
		case c == '\n' || c == '\r':
			nl = true
			i++
		case class[c] == cSpace:
			i++
		case c == '-' && i+1 < len(src) && src[i+1] == '-':
			j := strings.IndexAny(src[i:], "\n\r")
			if j < 0 {
				return -1
			}
			i += j
		case c == '\'' && nl:
			return i
		default:
			return -1
		}
	}
	return -1
}

// comment skips a block comment; PostgreSQL's nest, SQLite's do not.
// Both "*/" and "/*" hold a '*': the comment is read from one '*' to
// the next with strings.IndexByte.
func (l *lexer) comment() bool {
	src := l.src[:l.end]
	depth := 1
	i := l.pos + 2
	for i < len(src) {
		q := strings.IndexByte(src[i:], '*')
		if q < 0 {
			break
		}
		q += i
		switch {
		case l.pg && q > i && src[q-1] == '/':
			depth++
			i = q + 1
		case q+1 < len(src) && src[q+1] == '/':
			depth--
			i = q + 2
			if depth == 0 {
				l.pos = i
				return true
			}
		default:
			i = q + 1
		}
	}
	return false
}

// dollar reads what starts with '$': a $1 parameter, a dollar-quoted
// string (PostgreSQL), a $name parameter (SQLite) or an operator.
func (l *lexer) dollar() tokKind {
	src := l.src
	i := l.pos + 1
	if i < l.end && class[src[i]] == cDigit {
		if !l.pg {
			return l.param() // $1(...) is one parameter too
		}
		for i < l.end && class[src[i]] == cDigit {
			i++
		}
		l.pos, l.stop = i, i
		return tParam
	}
	if l.pg {
		j := i
		if j < l.end && class[src[j]] == cIdent {
			for j < l.end && tagCont(src[j]) {
				j++
			}
		}
		if j < l.end && src[j] == '$' {
			tag := src[l.pos : j+1]
			k := strings.Index(src[j+1:l.end], tag)
			if k < 0 {
				return l.fail("dollar-quoted string")
			}
			l.tag = len(tag)
			l.pos = j + 1 + k + len(tag)
			l.stop = l.pos
			return tDollar
		}
	}
	if i < l.end && class[src[i]] == cIdent {
		return l.param()
	}
	return l.one(tOp)
}

// number reads digits, a fraction and an exponent; letters after it
// start a new token.
func (l *lexer) number() tokKind {
	src := l.src
	i := l.pos
	for i < l.end && class[src[i]] == cDigit {
		i++
	}
	if i < l.end && src[i] == '.' && (i+1 == l.end || src[i+1] != '.') {
		i++
		for i < l.end && class[src[i]] == cDigit {
			i++
		}
	}
	if i+1 < l.end && src[i]|0x20 == 'e' {
		j := i + 1
		if src[j] == '+' || src[j] == '-' {
			j++
		}
		if j < l.end && class[src[j]] == cDigit {
			for j < l.end && class[src[j]] == cDigit {
				j++
			}
			i = j
		}
	}
	l.pos, l.stop = i, i
	return tNumber
}

// lineCommentEnd returns the position after the "--" comment at pos.
// PostgreSQL ends it at a line feed or a carriage return, SQLite at a
// line feed only.
func lineCommentEnd(src string, pos int, pg bool) int {
	end := "\n"
	if pg {
		end = "\n\r"
	}
	if i := strings.IndexAny(src[pos:], end); i >= 0 {
		return pos + i + 1
	}
	return len(src)
}

// stringText returns the text of the PostgreSQL string literal lit,
// which starts at its opening quote (after an E or U& prefix) and may
// be in several parts ('a'\n'b'), as PostgreSQL reads it: the parts
// joined, a doubled quote one quote, and with e set (an E'...' literal) the backslash
// escapes decoded. ok is false where PostgreSQL refuses the literal (an
// invalid \u escape, a zero byte, text that is not UTF-8) and for \v,
// which PostgreSQL 15 reads as a v and C as a vertical tab: rather than
// rely on one release's reading, the text is refused.
func stringText(lit string, e bool) (_ string, ok bool) {
	b := make([]byte, 0, len(lit))
	for i := 0; i < len(lit); {
		// lit[i] opens a part.
		i++
		for {
			if i >= len(lit) {
				return "", false // unterminated: the lexer does not return it
			}
			c := lit[i]
			if c == '\'' {
				if i+1 < len(lit) && lit[i+1] == '\'' {
					b = append(b, '\'')
					i += 2
					continue
				}
				i++
				break
			}
			if c == '\\' && e {
				if b, i, ok = unescape(b, lit, i); !ok {
					return "", false
				}
				continue
			}
			b = append(b, c)
			i++
		}
		if i < len(lit) {
			if i = continued(lit, i); i < 0 {
				return "", false
			}
		}
	}
	if bytes.IndexByte(b, 0) >= 0 || !utf8.Valid(b) {
		return "", false
	}
	return string(b), true
}

// unescape appends to b what the backslash escape at s[i] of an E'...'
// literal stands for (as PostgreSQL's scan.l decodes it), and returns
// the position after it. ok is false for an escape PostgreSQL refuses,
// and for \v.
func unescape(b []byte, s string, i int) (_ []byte, next int, ok bool) {
	if i+1 >= len(s) {
		return b, i, false
	}
	c := s[i+1]
	i += 2
	switch c {
	case 'b':
		return append(b, '\b'), i, true
	case 'f':
		return append(b, '\f'), i, true
	case 'n':
		return append(b, '\n'), i, true
	case 'r':
		return append(b, '\r'), i, true
	case 't':
		return append(b, '\t'), i, true
	case 'v':
		return b, i, false
	case 'x':
		// \xh, \xhh; \x and no hex digit is an x.
		v, n := 0, 0
		for ; n < 2 && i+n < len(s) && hexDigit(s[i+n]) >= 0; n++ {
			v = v<<4 | hexDigit(s[i+n])
		}
		if n == 0 {
			return append(b, 'x'), i, true
		}
		return append(b, byte(v)), i + n, true
	case 'u', 'U':
		r, n := hexRune(s, i, c)
		if n < 0 {
			return b, i, false
		}
		i += n
		switch {
		case r >= 0xD800 && r <= 0xDBFF:
			// A UTF-16 high surrogate: its pair must follow at once.
			if i+1 >= len(s) || s[i] != '\\' {
				return b, i, false
			}
			lo, m := hexRune(s, i+2, s[i+1])
			if m < 0 || lo < 0xDC00 || lo > 0xDFFF {
				return b, i, false
			}
			r, i = utf16.DecodeRune(r, lo), i+2+m
		case r >= 0xDC00 && r <= 0xDFFF, r == 0, r > utf8.MaxRune:
			return b, i, false
		}
		return utf8.AppendRune(b, r), i, true
	}
	if c >= '0' && c <= '7' {
		// \o, \oo, \ooo: a byte.
		v, n := int(c-'0'), 0
		for ; n < 2 && i+n < len(s) && s[i+n] >= '0' && s[i+n] <= '7'; n++ {
			v = v<<3 | int(s[i+n]-'0')
		}
		return append(b, byte(v)), i + n, true
	}
	return append(b, c), i, true // \\, \', and any other byte: itself
}

// hexRune reads the hex digits of a \u (4) or \U (8, when u is 'U')
// escape at s[i]: the code point, and how many bytes it takes, -1 when
// u is neither or the digits are not there.
func hexRune(s string, i int, u byte) (rune, int) {
	n := 4
	switch u {
	case 'u':
	case 'U':
		n = 8
	default:
		return 0, -1
	}
	if i+n > len(s) {
		return 0, -1
	}
	var v uint32
	for _, c := range []byte(s[i : i+n]) {
		d := hexDigit(c)
		if d < 0 {
			return 0, -1
		}
		v = v<<4 | uint32(d)
	}
	if v > utf8.MaxRune {
		return utf8.MaxRune + 1, n
	}
	return rune(v), n
}

// hexDigit returns the value of the hex digit c, or -1.
func hexDigit(c byte) int {
	switch {
	case c >= '0' && c <= '9':
		return int(c - '0')
	case c|0x20 >= 'a' && c|0x20 <= 'f':
		return int(c|0x20-'a') + 10
	}
	return -1
}
