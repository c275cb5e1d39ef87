package sqltables

import (
	"strconv"
	"strings"
	"unicode/utf16"
	"unicode/utf8"
)

// maxDepth bounds the parentheses the parser follows: a text that opens
// more levels than that, each holding more than literals and names, is
// refused rather than read without the state of each level.
const maxDepth = 64

// frameSlots is a power of two, at least maxDepth, so that indexing
// needs no bounds check.
const frameSlots = 64

// maxLocal is how many relations and CTE names fit before the parser
// allocates.
const (
	maxLocalRefs = 8
	maxLocalCTEs = 8
)

// manyRefs is how many relations are looked up one by one before a map
// is built, so that a text naming thousands is not read in quadratic
// time.
const manyRefs = 32

// What the next token of a level is expected to be.
const (
	expNone       uint8 = iota
	expRel              // a relation, or a modifier (ONLY, LATERAL, IF NOT EXISTS ...) before it
	expName             // after a name part: '.' or the end of the name
	expPart             // after '.': the next name part
	expOrAction         // UPDATE OR <action>: skip the action
	expRowsFrom         // ROWS FROM: '(' and a list of functions
	expCTEName          // WITH: a CTE name (or RECURSIVE)
	expCTECols          // after a CTE name: '(' columns ')' or AS
	expCTEAs            // after AS: [NOT] MATERIALIZED, then '(' body
	expCTENext          // after a CTE body: ',' and another CTE
	expCreate           // CREATE ...: the object type
	expDrop             // DROP ...: the object type
	expAlter            // ALTER ...: the object type
	expComment          // COMMENT: ON
	expCommentOn        // COMMENT ON: the object type
	expIndex            // CREATE INDEX ...: until ON
	expInherits         // INHERITS: '(' and a list of relations
	expReindex          // REINDEX: TABLE, or something else
	expDo               // DO: [LANGUAGE name] and a body
	expDoLanguage       // DO LANGUAGE: the language's name
)

// Kinds of relation positions: which modifiers they take, whether a
// name followed by '(' is a function call.
const (
	rkFrom        uint8 = iota // FROM, JOIN, USING of DELETE and MERGE
	rkUpdate                   // UPDATE [OR action] [ONLY]
	rkTable                    // the TABLE statement
	rkInto                     // INSERT INTO, MERGE INTO, REPLACE INTO
	rkSelectInto               // SELECT ... INTO [TEMP|TEMPORARY|UNLOGGED] [TABLE]
	rkDDL                      // TRUNCATE, LOCK, DROP, ALTER, CREATE VIEW, ON of an index or trigger
	rkCreateTable              // CREATE TABLE: '(' after it holds column definitions
	rkRefresh                  // REFRESH MATERIALIZED VIEW [CONCURRENTLY]
	rkMaint                    // VACUUM, ANALYZE, CLUSTER: options in parentheses
	rkGrant                    // GRANT/REVOKE ... ON [TABLE]
	rkRef                      // REFERENCES, LIKE, INHERITS, PARTITION OF
	rkCopy                     // COPY t or COPY (query)
	rkColumn                   // COMMENT ON COLUMN t.c: the relation is before the last part
	rkDelete                   // DELETE FROM: the target, a table (never a CTE)
)

// Statement kinds, for what depends on the statement.
const (
	stNone        uint8 = iota
	stSelect            // SELECT, VALUES
	stInsert            // INSERT
	stUpdate            // UPDATE
	stDelete            // DELETE: USING is a relation list
	stMerge             // MERGE: USING is a relation
	stCreate            // CREATE (other objects)
	stCreateTable       // CREATE TABLE: FROM (partition bounds) is not a FROM clause
	stAlter             // ALTER TABLE: RENAME TO, INHERIT name relations
	stIndex             // CREATE INDEX
	stElems             // inside CREATE TABLE's parentheses: LIKE names a relation
	stGrant             // GRANT, REVOKE: only ON matters (sticky)
	stOnRel             // CREATE/DROP/ALTER TRIGGER or POLICY: ON names the relation (sticky)
	stCopy              // COPY: FROM and TO name files (sticky)
	stOpaque            // FETCH, MOVE, PRAGMA, SQLite VACUUM: nothing to find (sticky)
)

// Frame flags.
const (
	flQuery     uint8 = 1 << iota // FROM starts a FROM clause here
	flList                        // ',' starts another relation of kind rk
	flFirst                       // no token read at this level yet
	flUsing                       // DELETE or MERGE: the next USING names relations
	flRuleTo                      // CREATE RULE: the next TO names the relation
	flRecursive                   // WITH RECURSIVE: a CTE's body sees the CTE
)

// frame is the state of one parenthesis level.
type frame struct {
	exp   uint8
	rk    uint8
	stmt  uint8
	flags uint8
}

// span is a token's bytes in the text.
type span struct {
	start, stop int
	kind        tokKind
}

// parser finds relations in one pass over the tokens, with a fixed-size
// state: a stack of parenthesis levels, the name being read, and the
// relations found so far.
type parser struct {
	lx     lexer
	sqlite bool

	frames [frameSlots]frame
	depth  int            // index of the current level
	floors [maxBodies]int // depth of each DO body's first level
	body   int            // DO bodies being read

	// hist holds the two previous tokens (a keyword or a p* class) and
	// whether the next token starts a statement, packed in one word as
	// scan keeps them: prev | prev2<<8 | histStart.
	hist uint32

	parts  [3]span // the last three parts of the name being read
	nparts int
	partKw uint8 // keyword of the name's first part
	cte    span  // candidate CTE name

	refs [maxLocalRefs]Ref
	more []Ref
	n    int
	seen map[Ref]struct{} // the relations, once there are many

	// The CTEs in scope, innermost last: those declared at the current
	// level and the levels around it.
	ctes     [maxLocalCTEs]cte
	moreCTEs []cte
	ncte     int
	visible  map[string]int // how many visible CTEs have each name, once there are many
}

// cte is a CTE in scope.
type cte struct {
	name  string
	depth int  // level of its WITH
	seen  bool // its name stands for it: after its body, or in it when recursive
}

func (p *parser) init(sql string, d Dialect, fromList bool) {
	// p is zero: set only what is not (a lexer{...} would be zeroed
	// again).
	p.lx.src, p.lx.end, p.lx.pg = sql, len(sql), d != SQLite
	p.sqlite = d == SQLite
	p.hist = uint32(pStart) | uint32(pStart)<<8
	if fromList {
		p.frames[0] = frame{exp: expRel, rk: rkFrom, flags: flQuery | flList}
		return
	}
	p.frames[0] = frame{flags: flQuery}
	p.hist |= histStart
}

// histStart is the bit of parser.hist set when the next token starts a
// statement.
const histStart = 1 << 16

// shift returns hist after a token whose class or keyword is x: x is the
// previous token, the previous one the one before, and no statement
// starts.
func shift(hist uint32, x uint8) uint32 { return hist&0xFF<<8 | uint32(x) }

func (p *parser) prev() uint8  { return uint8(p.hist) }
func (p *parser) prev2() uint8 { return uint8(p.hist >> 8) }

// atStart reports whether the next token starts a statement.
func (p *parser) atStart() bool { return p.hist&histStart != 0 }

// cur returns the current level.
func (p *parser) cur() *frame {
	return &p.frames[p.depth&(frameSlots-1)]
}

// push opens a level, or refuses the text when it is too deep to follow.
func (p *parser) push(f frame) {
	if p.depth == maxDepth-1 {
		p.lx.fail(whatDeep)
		return
	}
	f.flags |= flFirst
	p.depth++
	p.frames[p.depth] = f
}

func (p *parser) pop() {
	switch {
	case p.body > 0 && p.depth == p.floors[p.body-1]:
		// An unbalanced ')' in a DO body does not leave it.
		return
	case p.depth > 0:
		p.depth--
	}
	if p.ncte > 0 {
		p.scopeCTEs()
	}
}

// token feeds one token to the parser: kw is the keyword it is, if any.
func (p *parser) token(k tokKind, kw uint8) {
	f := p.cur()
	first := f.flags&flFirst != 0
	f.flags &^= flFirst
	entered := p.body
	for p.step(k, kw, first) {
	}
	p.setPrev(k, kw)
	if p.body > entered {
		p.hist = p.hist&^0xFF | uint32(pSemi) | histStart
	}
}

// setPrev records token k (keyword kw) as the previous one, and whether
// a statement starts after it.
func (p *parser) setPrev(k tokKind, kw uint8) {
	x := prevOf[k]
	if kw != kwNone {
		x = kw
	}
	h := shift(p.hist, x)
	switch {
	case k == tSemi || k == tBodyEnd:
		h |= histStart
	case p.body > 0 && (kw == kwBegin || kw == kwThen || kw == kwElse || kw == kwLoop):
		// PL/pgSQL: a statement follows.
		h |= histStart
	}
	p.hist = h
}

// boring marks the tokens that matter only where a relation is
// expected, or (a word) when they are keywords.
var boring = [tBodyEnd + 1]bool{tWord: true, tQuoted: true, tString: true, tXString: true, tDollar: true,
	tNumber: true, tParam: true, tOp: true, tDot: true}

// prevOf is parser.prev after a token that is not a keyword.
var prevOf = [...]uint8{
	tEOF: pOther, tWord: pIdent, tQuoted: pIdent, tString: pOther, tXString: pOther,
	tDollar: pOther, tNumber: pOther, tParam: pOther, tLParen: pLParen, tRParen: pRParen,
	tComma: pComma, tDot: pDot, tSemi: pSemi, tOp: pOther, tBodyEnd: pSemi,
}

// step handles a token in the current state. It returns true when the
// state changed and the token must be handled again.
func (p *parser) step(k tokKind, kw uint8, first bool) bool {
	f := p.cur()
	switch f.exp {
	case expNone:
		p.none(f, k, kw)
		return false
	case expRel:
		return p.rel(f, k, kw, first)
	case expName:
		if k == tDot {
			f.exp = expPart
			return false
		}
		return p.finish(f, k, kw)
	case expPart:
		if k == tWord || k == tQuoted || (k == tString && p.sqlite) {
			p.addPart()
			f.exp = expName
			return false
		}
		return p.finish(f, k, kw)
	case expOrAction:
		f.exp = expRel
		return k != tWord
	case expRowsFrom:
		f.exp = expNone
		if k == tLParen {
			p.push(frame{exp: expRel, rk: rkFrom, flags: flQuery | flList})
			return false
		}
		return true
	case expCTEName, expCTECols, expCTEAs, expCTENext:
		return p.with(f, k, kw)
	case expDo, expDoLanguage:
		return p.do(f, k, kw)
	}
	return p.preamble(f, k, kw)
}

// none handles a token outside any relation position.
func (p *parser) none(f *frame, k tokKind, kw uint8) {
	switch k {
	case tLParen:
		var n frame
		if f.stmt == stOpaque {
			n.stmt = stOpaque
		}
		p.push(n)
	case tRParen:
		p.pop()
	case tComma:
		if f.flags&flList != 0 && f.stmt != stOpaque {
			f.exp = expRel
		}
	case tSemi:
		// A statement ends: so do the parentheses it left open.
		p.endStatement()
		p.depth = 0
		if p.body > 0 {
			p.depth = p.floors[p.body-1]
		}
		p.frames[p.depth] = frame{flags: flQuery}
	case tBodyEnd:
		p.endStatement()
		p.body--
		p.depth = p.floors[p.body] - 1
		// What follows the body (LANGUAGE name) names nothing.
		p.frames[p.depth] = frame{stmt: stOpaque}
	case tWord:
		if kw != kwNone && f.stmt != stOpaque {
			if p.aliasAt(f, kw) {
				return // the list goes on
			}
			p.keyword(f, kw)
		}
	}
}

// aliasAt reports whether keyword kw, just read in a list of relations
// right after a relation (its name, its AS, or the ')' of a subquery),
// is the relation's alias: PostgreSQL and SQLite take several of the
// words that end a FROM list as aliases (FROM audit_logs set, notes).
// It is one when a ',' follows it, or a '(' (its column aliases): the
// list goes on.
func (p *parser) aliasAt(f *frame, kw uint8) bool {
	if f.flags&flList == 0 || kwFlags[kw]&fAlias == 0 || f.stmt == stGrant {
		return false
	}
	switch p.prev() {
	case pIdent, kwAs, pRParen:
	default:
		return false
	}
	src := p.lx.src[:p.lx.end]
	i := skipBlank(src, p.lx.stop, !p.sqlite)
	if i == len(src) {
		return false
	}
	if src[i] == ',' || src[i] == '(' {
		return true
	}
	return joinWord(src, i)
}

// createsRelation reports whether the word after src[:i] (CREATE) is
// one a CREATE of a table, view or index goes on with.
func createsRelation(src string, i int, nest bool) bool {
	i = skipBlank(src, i, nest)
	switch lookup(src, i, wordEnd(src, i)) {
	case kwTable, kwMaterialized, kwView, kwIndex, kwUnique, kwTemp, kwTemporary, kwUnlogged,
		kwGlobal, kwLocal, kwOr, kwRecursive, kwTrigger:
		return true
	}
	return false
}

// wordEnd returns where the word at src[i] ends: i when none starts
// there.
func wordEnd(src string, i int) int {
	for i < len(src) && identCont(src[i]) {
		i++
	}
	return i
}

// joinWord reports whether the word at src[i] is one that follows a
// relation's alias in a FROM list and goes on with it: JOIN and the
// words before it (INNER, LEFT, RIGHT, FULL, CROSS, NATURAL), and the
// ON or USING of the join the relation ends.
func joinWord(src string, i int) bool {
	j := wordEnd(src, i)
	switch lookup(src, i, j) {
	case kwJoin, kwOn, kwUsing, kwFull:
		return true
	case kwReserved:
		w := src[i:j]
		return strings.EqualFold(w, "inner") || strings.EqualFold(w, "left") || strings.EqualFold(w, "right") ||
			strings.EqualFold(w, "cross") || strings.EqualFold(w, "natural")
	}
	return false
}

// sticky reports whether st stays the statement kind whatever follows.
func sticky(st uint8) bool { return st >= stElems }

func setStmt(f *frame, st uint8) {
	if !sticky(f.stmt) {
		f.stmt = st
	}
}

// relation expects a relation of kind rk at f.
func relation(f *frame, rk uint8) {
	f.rk = rk
	f.exp = expRel
}

// keyword handles a keyword outside any relation position.
func (p *parser) keyword(f *frame, kw uint8) {
	if f.stmt == stGrant {
		switch kw {
		case kwOn:
			relation(f, rkGrant)
			f.flags |= flList
		case kwTo, kwFrom:
			f.flags &^= flList
		}
		return
	}
	if p.atStart() && p.statement(f, kw) {
		return
	}
	if kwFlags[kw]&fEnder != 0 {
		f.flags &^= flList
	}
	switch kw {
	case kwSelect, kwValues:
		if p.prev() == kwFor {
			return // FOR VALUES of a partition
		}
		f.flags |= flQuery
		setStmt(f, stSelect)
	case kwFrom:
		if f.flags&flQuery == 0 || f.stmt == stCopy || f.stmt == stCreateTable {
			return
		}
		if p.prev() == kwDistinct && (p.prev2() == kwIs || p.prev2() == kwNot) {
			return // IS [NOT] DISTINCT FROM
		}
		relation(f, fromKind(f))
		f.flags |= flList
	case kwJoin:
		relation(f, rkFrom)
	case kwUsing:
		if f.flags&flUsing != 0 {
			f.flags &^= flUsing
			relation(f, rkFrom)
			if f.stmt == stDelete {
				f.flags |= flList
			}
		}
	case kwInto:
		switch p.prev() {
		case kwInsert, kwReplace, kwMerge, kwIgnore, kwAbort, kwFail, kwRollback:
			relation(f, rkInto)
		default:
			if p.body > 0 {
				return // PL/pgSQL: SELECT ... INTO variables
			}
			relation(f, rkSelectInto)
		}
		f.flags &^= flList
	case kwUpdate:
		switch p.prev() {
		case kwFor, kwKey, kwDo, kwOn, kwOr, kwBefore, kwAfter, kwOf:
			return // FOR [NO KEY] UPDATE, DO UPDATE, ON UPDATE, trigger events
		}
		f.flags |= flQuery
		setStmt(f, stUpdate)
		relation(f, rkUpdate)
	case kwDelete:
		f.flags |= flQuery | flUsing
		setStmt(f, stDelete)
	case kwMerge:
		f.flags |= flQuery | flUsing
		setStmt(f, stMerge)
	case kwInsert:
		f.flags |= flQuery
		setStmt(f, stInsert)
	case kwWith:
		f.exp = expCTEName
	case kwTable:
		// TABLE name is SELECT * FROM name, and may stand wherever a
		// query may: at a statement's start, after '(', UNION, AS, an
		// INSERT's target, its alias, its columns or OVERRIDING ...
		// VALUE, EXPLAIN and its options, DECLARE ... FOR, RETURN QUERY
		// ... The words that take TABLE otherwise are read before it
		// comes here (CREATE, ALTER, DROP, TRUNCATE, LOCK, COMMENT ON,
		// GRANT ... ON, REINDEX, SELECT ... INTO), but for two: a
		// trigger's REFERENCING OLD|NEW TABLE [AS] name, and RETURNS
		// TABLE (columns). Anywhere else the name after TABLE is taken
		// for a relation: where it is none (ALTER PUBLICATION ... ADD
		// TABLE t, SECURITY LABEL ON TABLE t), it still names one.
		if f.stmt == stOnRel {
			return
		}
		src := p.lx.src[:p.lx.end]
		if i := skipBlank(src, p.lx.stop, !p.sqlite); i < len(src) && src[i] == '(' {
			return
		}
		// A ',' goes on with another relation: CREATE PUBLICATION p FOR
		// TABLE a, b (not after a label: SELECT 1 AS table, x.y).
		f.flags |= flQuery
		if p.prev() != kwAs {
			f.flags |= flList
		}
		relation(f, rkTable)
	case kwReferences:
		relation(f, rkRef)
	case kwOn:
		if f.stmt == stOnRel {
			relation(f, rkDDL)
		}
	case kwTo:
		switch {
		case f.flags&flRuleTo != 0:
			f.flags &^= flRuleTo
			relation(f, rkRef)
		case p.prev() == kwRename && f.stmt == stAlter:
			relation(f, rkDDL)
		}
	case kwOf:
		if p.prev() == kwPartition {
			relation(f, rkRef)
		}
	case kwPartition:
		if p.prev() == kwAttach || p.prev() == kwDetach {
			relation(f, rkRef)
		}
	case kwCreate:
		// EXPLAIN ANALYZE CREATE TABLE|MATERIALIZED VIEW ... AS, and the
		// CREATE elements of CREATE SCHEMA, run as at a statement's
		// start. (Elsewhere CREATE is a label: SELECT 1 AS create.)
		if !sticky(f.stmt) && createsRelation(p.lx.src[:p.lx.end], p.lx.stop, !p.sqlite) {
			f.stmt = stCreate
			f.exp = expCreate
		}
	case kwGrant:
		if f.stmt == stCreate {
			f.stmt = stGrant // CREATE SCHEMA s GRANT ... ON t
			f.flags &^= flList
		}
	case kwLoop:
		if p.body > 0 {
			// PL/pgSQL: after FOR r IN query LOOP, the query's CTEs are
			// out of scope.
			p.endStatement()
		}
	case kwInherits:
		f.exp = expInherits
	case kwInherit:
		if f.stmt == stAlter {
			relation(f, rkRef)
		}
	case kwLike:
		if f.stmt == stElems && (p.prev() == pLParen || p.prev() == pComma) {
			relation(f, rkRef)
		}
	case kwIn:
		// SQLite reads "expr IN name" as "expr IN (SELECT * FROM name)",
		// and "expr IN fn(args)" as a table-valued function's rows.
		if p.sqlite {
			src := p.lx.src[:p.lx.end]
			if i := skipBlank(src, p.lx.stop, false); i < len(src) && src[i] != '(' {
				relation(f, rkFrom)
			}
		}
	}
}

// statement handles a keyword that starts a statement; it returns false
// when kw is not such a keyword.
func (p *parser) statement(f *frame, kw uint8) bool {
	switch kw {
	case kwTruncate, kwLock:
		relation(f, rkDDL)
		f.flags |= flList
	case kwCopy:
		f.stmt = stCopy
		relation(f, rkCopy)
	case kwCreate:
		f.stmt = stCreate
		f.exp = expCreate
	case kwAlter:
		f.stmt = stAlter
		f.exp = expAlter
	case kwDrop:
		f.stmt = stCreate
		f.exp = expDrop
	case kwComment:
		f.exp = expComment
	case kwAnalyze, kwCluster:
		relation(f, rkMaint)
		f.flags |= flList
	case kwVacuum:
		if p.sqlite {
			f.stmt = stOpaque // VACUUM [schema] [INTO file]
			return true
		}
		relation(f, rkMaint)
		f.flags |= flList
	case kwRefresh:
		relation(f, rkRefresh)
	case kwReindex:
		f.exp = expReindex
	case kwFetch, kwMove, kwPragma:
		f.stmt = stOpaque
	case kwGrant, kwRevoke:
		// Only at a statement's start: elsewhere either may be a label
		// (SELECT body AS grant) or an alias.
		f.stmt = stGrant
		f.flags &^= flList
	case kwDo:
		if p.sqlite {
			return false
		}
		f.exp = expDo
	default:
		return false
	}
	return true
}

// preamble handles the words between a DDL verb and its relation.
func (p *parser) preamble(f *frame, k tokKind, kw uint8) bool {
	if k == tLParen && (f.exp == expIndex || f.exp == expReindex) {
		p.push(frame{})
		return false
	}
	if f.exp == expInherits {
		f.exp = expNone
		if k == tLParen {
			p.push(frame{exp: expRel, rk: rkRef, flags: flList})
			return false
		}
		return true
	}
	if k != tWord {
		if f.exp == expIndex && k != tSemi && k != tRParen && k != tBodyEnd {
			return false
		}
		f.exp = expNone
		return true
	}
	switch f.exp {
	case expCreate:
		switch kw {
		case kwOr, kwReplace, kwTemp, kwTemporary, kwUnlogged, kwGlobal, kwLocal, kwUnique,
			kwRecursive, kwMaterialized, kwForeign, kwVirtual, kwConstraint:
			return false
		case kwTable:
			f.stmt = stCreateTable
			relation(f, rkCreateTable)
		case kwView:
			relation(f, rkDDL)
		case kwIndex:
			f.stmt = stIndex
			f.exp = expIndex
		case kwTrigger, kwPolicy:
			f.stmt = stOnRel
			f.exp = expNone
		case kwRule:
			f.flags |= flRuleTo
			f.exp = expNone
		default:
			f.exp = expNone
		}
	case expDrop, expAlter:
		switch kw {
		case kwMaterialized, kwForeign:
			return false
		case kwTable, kwView:
			if f.exp == expDrop {
				f.flags |= flList
			}
			relation(f, rkDDL)
		case kwTrigger, kwPolicy, kwRule:
			f.stmt = stOnRel
			f.exp = expNone
		default:
			// ALTER INDEX, SEQUENCE ...: RENAME TO names no relation.
			f.stmt = stCreate
			f.exp = expNone
		}
	case expComment:
		f.exp = expNone
		if kw == kwOn {
			f.exp = expCommentOn
		}
	case expCommentOn:
		switch kw {
		case kwMaterialized, kwForeign:
			return false
		case kwTable, kwView:
			relation(f, rkDDL)
		case kwColumn:
			relation(f, rkColumn)
		case kwTrigger, kwPolicy, kwRule, kwConstraint:
			f.stmt = stOnRel
			f.exp = expNone
		default:
			f.exp = expNone
		}
	case expIndex:
		if kw == kwOn {
			relation(f, rkDDL)
		}
	case expReindex:
		if kw == kwTable {
			relation(f, rkDDL)
			return false
		}
		if kw != kwConcurrently && kw != kwVerbose {
			f.exp = expNone
		}
	}
	return false
}

// fromKind is the kind of the relations after a FROM of level f.
func fromKind(f *frame) uint8 {
	if f.stmt == stDelete {
		return rkDelete
	}
	return rkFrom
}

// modifier reports whether kw is a word of a relation position of kind
// rk that comes before the relation's name.
func modifier(rk, kw uint8) bool {
	switch rk {
	case rkFrom:
		return kw == kwOnly || kw == kwLateral
	case rkUpdate, rkTable, rkGrant, rkDelete:
		return kw == kwOnly || kw == kwTable && rk == rkGrant
	case rkSelectInto:
		return kw == kwTemp || kw == kwTemporary || kw == kwUnlogged || kw == kwTable
	case rkDDL, rkCreateTable:
		return kw == kwTable || kw == kwOnly || kw == kwIf || kw == kwNot || kw == kwExists || kw == kwConcurrently
	case rkRefresh:
		return kw == kwMaterialized || kw == kwView || kw == kwConcurrently
	case rkMaint:
		return kw == kwFull || kw == kwFreeze || kw == kwVerbose || kw == kwAnalyze
	}
	return false
}

// liteNames marks the keywords SQLite takes as a table's name: words
// that are none of its keywords (FETCH, GRANT, ONLY, LATERAL ...), and
// those of its keywords that fall back to names (DO, FOR, OF, OFFSET,
// WINDOW ...).
var liteNames = func() (t [kwLast]bool) {
	for _, kw := range []uint8{kwAnalyze, kwConcurrently, kwDo, kwFetch, kwFor, kwFreeze, kwFull,
		kwGrant, kwLateral, kwLike, kwOf, kwOffset, kwOnly, kwVerbose, kwWindow} {
		t[kw] = true
	}
	return t
}()

// liteReservedNames are the words of kwReserved SQLite takes as a
// table's name.
var liteReservedNames = [...]string{"inner", "left", "right", "cross", "natural", "outer", "any", "some",
	"array", "cast", "end", "true", "false", "tablesample", "asc", "desc", "ilike", "similar"}

// keywordName reports whether keyword kw, read where f expects a
// relation, is the relation's name: PostgreSQL takes OF, EXISTS, SET
// and VALUES unquoted as a table's name (unless EXISTS ends IF [NOT]
// EXISTS, SET starts an UPDATE's SET clause, or VALUES a VALUES list,
// first in its parentheses), SQLite the words of liteNames.
func (p *parser) keywordName(f *frame, kw uint8, first bool) bool {
	if p.sqlite {
		if kw == kwOnly || kw == kwLateral {
			// No keyword of SQLite's, but read as one by the finder: a
			// name only where no name or subquery follows (FROM only,
			// FROM only AS o), not in PostgreSQL's FROM ONLY t.
			src := p.lx.src[:p.lx.end]
			i := skipBlank(src, p.lx.stop, false)
			if i == len(src) {
				return true
			}
			switch class[src[i]] {
			case cIdent:
				return lookup(src, i, wordEnd(src, i)) != kwNone
			case cDQuote, cBacktick, cLBracket, cQuote, cLParen:
				return false
			}
			return true
		}
		if kw == kwReserved {
			// The join words and a few others fall back to names.
			w := p.lx.src[p.lx.start:p.lx.stop]
			for _, n := range liteReservedNames {
				if strings.EqualFold(w, n) {
					return true
				}
			}
			return false
		}
		return liteNames[kw]
	}
	switch kw {
	case kwOf:
		return true
	case kwExists:
		return p.prev() != kwIf && p.prev() != kwNot
	case kwSet:
		return f.rk != rkUpdate
	case kwValues:
		return !first
	}
	return false
}

// rel handles a token where a relation is expected.
func (p *parser) rel(f *frame, k tokKind, kw uint8, first bool) bool {
	switch k {
	case tWord:
		if kw != kwNone {
			switch {
			case p.keywordName(f, kw, first):
				// The relation's name: read below.
			case modifier(f.rk, kw):
				return false
			case kw == kwOnly && f.rk == rkInto && !p.sqlite:
				return false // MERGE INTO ONLY t
			case kw == kwOr && (f.rk == rkUpdate || f.rk == rkInto):
				f.exp = expOrAction // SQLite: UPDATE OR IGNORE t
				return false
			case f.rk == rkGrant && (kw == kwGrantObject || kw == kwAll):
				f.exp = expNone // ON SCHEMA s, ON ALL TABLES IN SCHEMA s
				f.flags &^= flList
				return false
			case kwFlags[kw]&fReserved != 0 || first && kwFlags[kw]&fStmt != 0:
				f.exp = expNone
				return true
			}
		}
	case tQuoted:
	case tString:
		if !p.sqlite {
			f.exp = expNone
			return true
		}
		// SQLite reads a string where a table name must be as the name.
	case tLParen:
		switch f.rk {
		case rkFrom, rkCopy:
			// A subquery, a parenthesised join, or (?).
			f.exp = expNone
			p.push(frame{exp: expRel, rk: rkFrom, flags: flQuery | flList})
			return false
		case rkMaint:
			p.push(frame{}) // options
			return false
		}
		if p.prev() == kwOnly {
			// ONLY (name): UPDATE, DELETE, MERGE, TABLE, TRUNCATE,
			// LOCK, ALTER TABLE, CREATE INDEX ... ON.
			f.exp = expNone
			p.push(frame{exp: expRel, rk: f.rk})
			return false
		}
		f.exp = expNone
		return true
	default:
		f.exp = expNone
		return true
	}
	p.nparts = 0
	p.partKw = kw
	p.addPart()
	f.exp = expName
	return false
}

func (p *parser) addPart() {
	s := span{start: p.lx.start, stop: p.lx.stop}
	if p.lx.start < p.lx.stop {
		s.kind = tWord
		switch p.lx.src[p.lx.start] {
		case '"', '`', '[':
			s.kind = tQuoted
		case '\'':
			s.kind = tString
		case 'u', 'U':
			if p.lx.stop-p.lx.start > 2 && p.lx.src[p.lx.start+1] == '&' {
				s.kind = tQuoted
			}
		}
	}
	if p.nparts == len(p.parts) {
		copy(p.parts[:], p.parts[1:])
		p.nparts--
	}
	p.parts[p.nparts] = s
	p.nparts++
}

// finish ends the name being read at token k: the name is a function
// when k is '(' in a FROM position.
func (p *parser) finish(f *frame, k tokKind, kw uint8) bool {
	f.exp = expNone
	single := p.nparts == 1 && p.parts[0].kind == tWord
	if single && kw == kwFrom && p.partKw == kwRows && f.rk == rkFrom {
		f.exp = expRowsFrom
		return false
	}
	if k == tLParen {
		switch f.rk {
		case rkFrom:
			p.add(f.rk, true)
			p.push(frame{})
			return false
		case rkCreateTable:
			p.add(f.rk, false)
			p.push(frame{stmt: stElems})
			return false
		}
	}
	p.add(f.rk, false)
	return true
}

// add records the name read as a relation, or a function.
func (p *parser) add(rk uint8, fn bool) {
	n := p.nparts
	if rk == rkColumn {
		n-- // COMMENT ON COLUMN [schema.]table.column
	}
	if n < 1 {
		return
	}
	r := Ref{Name: p.ident(p.parts[n-1]), Func: fn}
	if n >= 2 {
		r.Schema = p.ident(p.parts[n-2])
	} else if !fn && p.ncte > 0 && mayBeCTE(rk) && p.isCTE(r.Name) {
		return
	}
	p.addRef(r)
}

// mayBeCTE reports whether a relation of kind rk may stand for a CTE:
// one read (FROM, JOIN, TABLE), not one written or defined.
func mayBeCTE(rk uint8) bool { return rk == rkFrom || rk == rkTable }

// addRef records r unless it was found already.
func (p *parser) addRef(r Ref) {
	if p.seen != nil {
		if _, ok := p.seen[r]; ok {
			return
		}
		p.seen[r] = struct{}{}
	} else {
		for i := range p.refs[:min(p.n, maxLocalRefs)] {
			if q := &p.refs[i]; q.Name == r.Name && q.Schema == r.Schema && q.Func == r.Func {
				return
			}
		}
		for i := range p.more {
			if q := &p.more[i]; q.Name == r.Name && q.Schema == r.Schema && q.Func == r.Func {
				return
			}
		}
		if p.n == manyRefs {
			// Many relations: look them up in a map from now on.
			p.seen = make(map[Ref]struct{}, 2*manyRefs)
			for i := 0; i < p.n; i++ {
				p.seen[*p.ref(i)] = struct{}{}
			}
			p.seen[r] = struct{}{}
		}
	}
	if p.n < maxLocalRefs {
		// Field by field: a struct copy would read back r's words from
		// the stack, just stored, in 16-byte loads, which wait for them.
		q := &p.refs[p.n]
		q.Schema, q.Name, q.Func = r.Schema, r.Name, r.Func
	} else {
		p.more = append(p.more, r)
	}
	p.n++
}

func (p *parser) ref(i int) *Ref {
	if i < maxLocalRefs {
		return &p.refs[i]
	}
	return &p.more[i-maxLocalRefs]
}

// ident returns the name a token stands for.
func (p *parser) ident(s span) string {
	t := p.lx.src[s.start:s.stop]
	switch s.kind {
	case tQuoted:
		switch t[0] {
		case '[':
			return t[1 : len(t)-1]
		case '`':
			return undouble(t[1:len(t)-1], '`')
		case '"':
			return p.clip(undouble(t[1:len(t)-1], '"'))
		}
		return p.unicode(s)
	case tString:
		return undouble(t[1:len(t)-1], '\'')
	}
	return p.name(t)
}

// name returns the name an unquoted word stands for.
func (p *parser) name(word string) string { return p.clip(lower(word)) }

// maxIdent is the longest identifier PostgreSQL keeps, in bytes
// (NAMEDATALEN-1): it reads the first 63 bytes of a longer one.
const maxIdent = 63

// clip shortens a name as PostgreSQL does.
func (p *parser) clip(name string) string {
	if p.sqlite || len(name) <= maxIdent {
		return name
	}
	n := maxIdent
	for n > 0 && !utf8.RuneStart(name[n]) {
		n-- // not inside a character
	}
	return name[:n]
}

// unicode returns the name a U&"..." identifier stands for, with its
// escapes decoded: \XXXX and \+XXXXXX, or the character a UESCAPE
// 'c' after it gives instead of the backslash. It refuses the text
// (and returns "") when an escape is not one PostgreSQL accepts.
func (p *parser) unicode(s span) string {
	src := p.lx.src
	// The UESCAPE is looked for up to the end of the DO body the name is
	// in: the lexer's end, or the current token's start when it is the
	// body's end (tBodyEnd, like tEOF, is empty and starts where the
	// body ends; the lexer's end is then the outer one).
	end := p.lx.end
	if p.lx.start == p.lx.stop && p.lx.start >= s.stop {
		end = min(end, p.lx.start)
	}
	esc, bad := uescape(src[:end], s.stop)
	if bad >= 0 {
		p.lx.failAt(bad, whatEscape)
		return ""
	}
	name, ok := decodeUnicode(undouble(src[s.start+3:s.stop-1], '"'), esc)
	if !ok {
		p.lx.failAt(s.start, whatEscape)
		return ""
	}
	return p.clip(name)
}

// uescape reads the UESCAPE 'c' that may follow a U&"..." or U&'...'
// token ending before src[stop]. It returns the escape character c, or
// '\\' without a UESCAPE; bad is where a UESCAPE whose character
// PostgreSQL refuses starts, and -1 when there is none.
func uescape(src string, stop int) (esc byte, bad int) {
	if i := skipBlank(src, stop, true); i+7 <= len(src) && strings.EqualFold(src[i:i+7], "uescape") &&
		(i+7 == len(src) || class[src[i+7]] > cDollar) {
		j := skipBlank(src, i+7, true)
		if j+3 > len(src) || src[j] != '\'' || src[j+2] != '\'' || !escapeChar(src[j+1]) {
			return 0, i
		}
		return src[j+1], -1
	}
	return '\\', -1
}

// escapeChar reports whether PostgreSQL takes c as a UESCAPE character.
func escapeChar(c byte) bool {
	switch {
	case c >= '0' && c <= '9', c|0x20 >= 'a' && c|0x20 <= 'f', c == '+', c == '\'', c == '"', c < 0x80 && class[c] == cSpace, c >= 0x80:
		return false
	}
	return true
}

// decodeUnicode decodes the escapes of a U&"..." body: esc twice is esc,
// esc and 4 hex digits or esc, '+' and 6 hex digits a code point, with
// UTF-16 surrogate pairs joined. ok is false for any other use of esc
// and for code points that are not characters.
func decodeUnicode(s string, esc byte) (_ string, ok bool) {
	if strings.IndexByte(s, esc) < 0 {
		return s, true
	}
	b := make([]byte, 0, len(s))
	var high rune // a high surrogate waiting for its pair
	for i := 0; i < len(s); {
		if s[i] != esc {
			if high != 0 {
				return "", false
			}
			b = append(b, s[i])
			i++
			continue
		}
		if i+1 < len(s) && s[i+1] == esc {
			if high != 0 {
				return "", false
			}
			b = append(b, esc)
			i += 2
			continue
		}
		n, at := 4, i+1
		if at < len(s) && s[at] == '+' {
			n, at = 6, at+1
		}
		if at+n > len(s) {
			return "", false
		}
		v, err := strconv.ParseUint(s[at:at+n], 16, 32)
		if err != nil {
			return "", false
		}
		i = at + n
		r := rune(v)
		switch {
		case high != 0:
			if r < 0xDC00 || r > 0xDFFF {
				return "", false
			}
			r = utf16.DecodeRune(high, r)
			high = 0
		case r >= 0xD800 && r <= 0xDBFF:
			high = r
			continue
		case r >= 0xDC00 && r <= 0xDFFF, r == 0, r > utf8.MaxRune:
			return "", false
		}
		b = utf8.AppendRune(b, r)
	}
	if high != 0 {
		return "", false
	}
	return string(b), true
}

// skipBlank returns the position of the first byte from i on that is
// neither space nor inside a comment. nest is set for PostgreSQL: block
// comments nest, and a line comment ends at a carriage return as well as
// a line feed; for SQLite neither. In an unterminated comment it returns
// len(src).
func skipBlank(src string, i int, nest bool) int {
	for {
		i = skipSpaces(src, i)
		switch {
		case i+1 < len(src) && src[i] == '-' && src[i+1] == '-':
			i = lineCommentEnd(src, i, nest)
		case i+1 < len(src) && src[i] == '/' && src[i+1] == '*':
			depth := 0
			for i < len(src) {
				if i+1 < len(src) && src[i] == '/' && src[i+1] == '*' && (nest || depth == 0) {
					depth++
					i += 2
				} else if i+1 < len(src) && src[i] == '*' && src[i+1] == '/' {
					depth--
					i += 2
					if depth == 0 {
						break
					}
				} else {
					i++
				}
			}
		default:
			return i
		}
	}
}

// undouble replaces each doubled q in s with one q.
func undouble(s string, q byte) string {
	if strings.IndexByte(s, q) < 0 {
		return s
	}
	return strings.ReplaceAll(s, string([]byte{q, q}), string(q))
}

// lower folds ASCII letters to lower case, as PostgreSQL folds unquoted
// identifiers; it allocates only when s changes.
func lower(s string) string {
	for i := 0; i < len(s); i++ {
		if s[i]-'A' < 26 {
			b := []byte(s)
			for j := i; j < len(b); j++ {
				if c := b[j]; c >= 'A' && c <= 'Z' {
					b[j] = c + 'a' - 'A'
				}
			}
			return string(b)
		}
	}
	return s
}

// with reads a WITH clause: name [(columns)] AS [NOT] [MATERIALIZED] (body), ...
func (p *parser) with(f *frame, k tokKind, kw uint8) bool {
	switch f.exp {
	case expCTEName:
		if kw == kwRecursive {
			f.flags |= flRecursive
			return false
		}
		if k == tQuoted || k == tWord && kw != kwOrdinality && (kw == kwNone || kwFlags[kw]&fReserved == 0) {
			p.cte = span{start: p.lx.start, stop: p.lx.stop, kind: k}
			f.exp = expCTECols
			return false
		}
	case expCTECols:
		if k == tLParen {
			p.push(frame{})
			return false
		}
		if kw == kwAs {
			f.exp = expCTEAs
			return false
		}
	case expCTEAs:
		if kw == kwNot || kw == kwMaterialized {
			return false
		}
		if k == tLParen {
			p.cteBody(f)
			return false
		}
	case expCTENext:
		if k == tComma {
			f.exp = expCTEName
			return false
		}
	}
	f.exp = expNone
	f.flags &^= flRecursive
	return true
}

// cteBody declares the CTE named p.cte at level f and opens its body.
// In PostgreSQL the body sees the CTE only under WITH RECURSIVE, and
// the table of that name otherwise; SQLite takes every reference to the
// CTE's name in its body for a recursive one.
func (p *parser) cteBody(f *frame) {
	p.addCTE(cte{name: p.ident(p.cte), depth: p.depth, seen: p.sqlite || f.flags&flRecursive != 0})
	f.flags = f.flags&^flList | flQuery
	f.exp = expCTENext
	p.push(frame{flags: flQuery})
}

func (p *parser) cteAt(i int) *cte {
	if i < maxLocalCTEs {
		return &p.ctes[i]
	}
	return &p.moreCTEs[i-maxLocalCTEs]
}

func (p *parser) addCTE(c cte) {
	if p.ncte < maxLocalCTEs {
		p.ctes[p.ncte] = c
	} else {
		if p.visible == nil {
			// Many CTEs: count the visible names in a map from now on.
			p.visible = make(map[string]int)
			for i := range p.ncte {
				if e := p.cteAt(i); e.seen {
					p.visible[p.cteKey(e.name)]++
				}
			}
		}
		p.moreCTEs = append(p.moreCTEs, c)
	}
	p.ncte++
	if c.seen && p.visible != nil {
		p.visible[p.cteKey(c.name)]++
	}
}

// scopeCTEs follows a level's end: the CTEs declared in it go out of
// scope, and the one whose body it was becomes visible.
func (p *parser) scopeCTEs() {
	for p.ncte > 0 {
		e := p.cteAt(p.ncte - 1)
		if e.depth <= p.depth {
			break
		}
		if e.seen && p.visible != nil {
			p.visible[p.cteKey(e.name)]--
		}
		*e = cte{}
		p.ncte--
		if p.ncte >= maxLocalCTEs {
			p.moreCTEs = p.moreCTEs[:p.ncte-maxLocalCTEs]
		}
	}
	if p.ncte > 0 {
		if e := p.cteAt(p.ncte - 1); e.depth == p.depth && !e.seen {
			e.seen = true
			if p.visible != nil {
				p.visible[p.cteKey(e.name)]++
			}
		}
	}
}

// cteKey is how CTE names compare: SQLite ignores case even in quoted
// names.
func (p *parser) cteKey(name string) string {
	if p.sqlite {
		return strings.ToLower(name)
	}
	return name
}

// isCTE reports whether a visible CTE in scope is named name.
func (p *parser) isCTE(name string) bool {
	if p.visible != nil {
		return p.visible[p.cteKey(name)] > 0
	}
	for i := range p.ncte {
		c := &p.ctes[i]
		if c.seen && (c.name == name || p.sqlite && strings.EqualFold(c.name, name)) {
			return true
		}
	}
	return false
}

// endStatement forgets the statement's CTEs.
func (p *parser) endStatement() {
	if p.ncte > 0 {
		clear(p.ctes[:])
		clear(p.moreCTEs)
		p.moreCTEs = p.moreCTEs[:0]
		p.ncte = 0
		p.visible = nil
	}
}

// do reads DO [LANGUAGE name] body: the body, run at once, is read as
// SQL. PostgreSQL takes it as any string constant: '...', $tag$...$tag$,
// E'...' and U&'...' [UESCAPE 'c'], each in one part or in several
// ('a'\n'b'). A body whose text is a range of the SQL text ('...',
// $$...$$, and E'...' or U&'...' without escapes, each in one part) is
// read there; another is decoded first (readBody).
func (p *parser) do(f *frame, k tokKind, kw uint8) bool {
	l := &p.lx
	if f.exp == expDoLanguage {
		f.exp = expDo
		return k != tWord && k != tQuoted && k != tString && k != tXString
	}
	if kw == kwLanguage {
		f.exp = expDoLanguage
		return false
	}
	f.exp = expNone
	start, stop := l.start+1, l.stop-1
	switch k {
	case tDollar:
		start, stop = l.start+l.tag, l.stop-l.tag
	case tString:
		if l.joined {
			f.stmt = stOpaque
			body, ok := stringText(l.src[l.start:l.stop], false)
			p.readBody(body, ok, l.start)
			return false
		}
	case tXString:
		switch l.src[l.start] | 0x20 {
		case 'e':
			start++
			if l.joined || strings.IndexByte(l.src[start:stop], '\\') >= 0 {
				f.stmt = stOpaque
				body, ok := stringText(l.src[start-1:l.stop], true)
				p.readBody(body, ok, l.start)
				return false
			}
		case 'u':
			start += 2
			esc, bad := uescape(l.src[:l.end], l.stop)
			if bad >= 0 || l.joined || strings.IndexByte(l.src[start:stop], esc) >= 0 {
				f.stmt = stOpaque
				body, ok := stringText(l.src[start-1:l.stop], false)
				if ok && bad < 0 {
					body, ok = decodeUnicode(body, esc)
				}
				p.readBody(body, ok && bad < 0, l.start)
				return false
			}
		default:
			return true // B'...', X'...', N'...': no body
		}
	default:
		return true
	}
	f.stmt = stOpaque
	if p.depth == maxDepth-1 || !l.enter(start, stop, l.stop) {
		// Deeper than the state kept: refuse rather than miss what
		// the body names.
		l.fail(whatDeepDO)
		return false
	}
	p.depth++
	p.frames[p.depth] = frame{flags: flQuery}
	p.floors[p.body] = p.depth
	p.body++
	p.endStatement()
	return false
}

// readBody reads body, the decoded text of a DO body that is no range of
// the SQL text, as do reads one that is: a parser of its own reads it as
// a DO body, and the relations it finds are added. ok is false when the
// body could not be decoded. An error, or a body that could not be
// decoded, refuses the text: the error is reported at at, where the
// body's string starts.
func (p *parser) readBody(body string, ok bool, at int) {
	l := &p.lx
	if !ok {
		l.failAt(at, whatDOEscape)
		return
	}
	if l.nb+int(l.around) >= maxBodies {
		l.failAt(at, whatDeepDO)
		return
	}
	var q parser
	q.init(body, Postgres, false)
	q.lx.around = uint8(l.nb) + l.around // at most maxBodies
	q.lx.enter(0, len(body), len(body))
	q.depth = 1
	q.frames[1] = frame{flags: flQuery}
	q.floors[0] = 1
	q.body = 1
	refs, err := q.run(nil)
	if err != nil {
		l.failAt(at, q.lx.err.What) // err is q.lx.err
		return
	}
	for i := range refs {
		p.addRef(refs[i])
	}
	p.endStatement()
}
