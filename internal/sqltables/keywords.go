package sqltables

// The keywords the finder acts on. Values above kwLast stand for other
// tokens in parser.prev.
const (
	kwNone uint8 = iota
	kwAbort
	kwAfter
	kwAll
	kwAlter
	kwAnalyze
	kwAs
	kwAttach
	kwBefore
	kwBegin
	kwCluster
	kwColumn
	kwComment
	kwConcurrently
	kwConflict
	kwConstraint
	kwCopy
	kwCreate
	kwDelete
	kwDetach
	kwDistinct
	kwDo
	kwDrop
	kwElse
	kwExcept
	kwExists
	kwFail
	kwFetch
	kwFor
	kwForeign
	kwFreeze
	kwFrom
	kwFull
	kwGlobal
	kwGrant
	kwGroup
	kwHaving
	kwIf
	kwIgnore
	kwIndex
	kwInherit
	kwInherits
	kwInsert
	kwIntersect
	kwInto
	kwIs
	kwJoin
	kwKey
	kwLanguage
	kwLateral
	kwLike
	kwLimit
	kwLocal
	kwLock
	kwLoop
	kwMaterialized
	kwMerge
	kwMove
	kwNot
	kwOf
	kwOffset
	kwOn
	kwOnly
	kwOr
	kwOrder
	kwOrdinality
	kwPartition
	kwPolicy
	kwPragma
	kwRecursive
	kwReferences
	kwRefresh
	kwReindex
	kwRename
	kwReplace
	kwReturning
	kwRevoke
	kwRollback
	kwRows
	kwRule
	kwSelect
	kwSet
	kwTable
	kwTemp
	kwTemporary
	kwThen
	kwTo
	kwTrigger
	kwTruncate
	kwUnion
	kwUnique
	kwUnlogged
	kwUpdate
	kwUsing
	kwVacuum
	kwValues
	kwVerbose
	kwView
	kwVirtual
	kwWhen
	kwWhere
	kwWindow
	kwWith
	kwReserved // reserved words with no action of their own
	kwGrantObject
	kwLast
)

// Token classes for parser.prev, after the keywords.
const (
	pIdent = kwLast + iota // an identifier
	pStart                 // nothing yet
	pLParen
	pRParen
	pComma
	pDot
	pSemi
	pOther
	pNone // no token class: the token needs the parser
)

// Keyword flags.
const (
	// fReserved: the word cannot name a relation in a relation position
	// and ends the expectation of one.
	fReserved uint8 = 1 << iota
	// fEnder: the word ends a FROM (or other relation) list.
	fEnder
	// fStmt: the word starts a query inside parentheses.
	fStmt
	// fNoop: the word has no action where no relation is expected,
	// outside the sticky statements (GRANT, COPY ...); it matters only as
	// the previous word.
	fNoop
)

var kwFlags = func() (f [kwLast]uint8) {
	for _, k := range []uint8{kwAll, kwAnalyze, kwAs, kwConcurrently, kwConstraint, kwCreate,
		kwDistinct, kwDo, kwElse, kwExcept, kwExists, kwFetch, kwFor, kwForeign, kwFreeze, kwFrom,
		kwFull, kwGrant, kwGroup, kwHaving, kwIntersect, kwInto, kwIs, kwJoin, kwLateral, kwLike,
		kwLimit, kwNot, kwOf, kwOffset, kwOn, kwOnly, kwOr, kwOrder, kwReferences, kwReturning,
		kwSelect, kwSet, kwTable, kwThen, kwTo, kwUnion, kwUnique, kwUsing, kwValues, kwVerbose,
		kwWhen, kwWhere, kwWindow, kwWith, kwReserved} {
		f[k] |= fReserved
	}
	for _, k := range []uint8{kwConflict, kwDo, kwExcept, kwFetch, kwFor, kwGrant, kwGroup,
		kwHaving, kwIntersect, kwLimit, kwOffset, kwOrder, kwReturning, kwSelect, kwSet,
		kwUnion, kwValues, kwWhere, kwWindow} {
		f[k] |= fEnder
	}
	for _, k := range []uint8{kwDelete, kwInsert, kwMerge, kwSelect, kwTable, kwUpdate, kwValues, kwWith} {
		f[k] |= fStmt
	}
	for _, k := range []uint8{kwReserved, kwAs, kwIs, kwNot, kwOn, kwAll, kwWhen, kwDistinct, kwExists, kwKey,
		kwOr, kwOnly, kwLateral, kwIf, kwOrdinality, kwRecursive, kwMaterialized, kwTemp, kwTemporary,
		kwUnlogged, kwFull, kwFreeze, kwVerbose, kwConcurrently, kwIgnore, kwAbort, kwFail, kwRollback,
		kwBefore, kwAfter, kwColumn, kwView, kwIndex, kwTrigger, kwPolicy, kwRule, kwLanguage, kwRows,
		kwRename, kwAttach, kwDetach, kwGlobal, kwLocal, kwVirtual, kwConstraint, kwForeign, kwUnique,
		kwGrantObject, kwReplace} {
		f[k] |= fNoop
	}
	return f
}()

var keywordList = map[string]uint8{
	"abort": kwAbort, "after": kwAfter, "all": kwAll, "alter": kwAlter, "analyze": kwAnalyze,
	"analyse": kwAnalyze, "as": kwAs, "attach": kwAttach, "before": kwBefore, "begin": kwBegin,
	"cluster": kwCluster, "column": kwColumn, "comment": kwComment,
	"concurrently": kwConcurrently, "conflict": kwConflict, "constraint": kwConstraint,
	"copy": kwCopy, "create": kwCreate, "delete": kwDelete, "detach": kwDetach,
	"distinct": kwDistinct, "do": kwDo, "drop": kwDrop, "else": kwElse, "except": kwExcept,
	"exists": kwExists, "fail": kwFail, "fetch": kwFetch, "for": kwFor, "foreign": kwForeign,
	"freeze": kwFreeze, "from": kwFrom, "full": kwFull, "global": kwGlobal, "grant": kwGrant,
	"group": kwGroup, "having": kwHaving, "if": kwIf, "ignore": kwIgnore, "index": kwIndex,
	"inherit": kwInherit, "inherits": kwInherits, "insert": kwInsert, "intersect": kwIntersect,
	"into": kwInto, "is": kwIs, "join": kwJoin, "key": kwKey, "language": kwLanguage,
	"lateral": kwLateral, "like": kwLike, "limit": kwLimit, "local": kwLocal, "lock": kwLock,
	"loop": kwLoop, "materialized": kwMaterialized, "merge": kwMerge, "move": kwMove,
	"not": kwNot, "of": kwOf, "offset": kwOffset, "on": kwOn, "only": kwOnly, "or": kwOr,
	"order": kwOrder, "ordinality": kwOrdinality, "partition": kwPartition, "policy": kwPolicy,
	"pragma": kwPragma, "recursive": kwRecursive, "references": kwReferences,
	"refresh": kwRefresh, "reindex": kwReindex, "rename": kwRename, "replace": kwReplace,
	"returning": kwReturning, "revoke": kwRevoke, "rollback": kwRollback, "rows": kwRows,
	"rule": kwRule, "select": kwSelect, "set": kwSet, "table": kwTable, "temp": kwTemp,
	"temporary": kwTemporary, "then": kwThen, "to": kwTo, "trigger": kwTrigger,
	"truncate": kwTruncate, "union": kwUnion, "unique": kwUnique, "unlogged": kwUnlogged,
	"update": kwUpdate, "using": kwUsing, "vacuum": kwVacuum, "values": kwValues,
	"verbose": kwVerbose, "view": kwView, "virtual": kwVirtual, "when": kwWhen,
	"where": kwWhere, "window": kwWindow, "with": kwWith,

	// Join words, and reserved words that may follow a relation keyword.
	"inner": kwReserved, "left": kwReserved, "right": kwReserved, "cross": kwReserved,
	"natural": kwReserved, "outer": kwReserved, "and": kwReserved, "any": kwReserved,
	"some": kwReserved, "array": kwReserved, "case": kwReserved, "cast": kwReserved,
	"check": kwReserved, "collate": kwReserved, "default": kwReserved, "end": kwReserved,
	"in": kwReserved, "null": kwReserved, "primary": kwReserved, "true": kwReserved,
	"false": kwReserved, "tablesample": kwReserved, "asc": kwReserved, "desc": kwReserved,
	"between": kwReserved, "ilike": kwReserved, "similar": kwReserved, "escape": kwReserved,
	"isnull": kwReserved, "notnull": kwReserved,

	// What GRANT ... ON may name that is not a relation.
	"sequence": kwGrantObject, "function": kwGrantObject, "procedure": kwGrantObject,
	"routine": kwGrantObject, "schema": kwGrantObject, "database": kwGrantObject,
	"domain": kwGrantObject, "type": kwGrantObject, "tablespace": kwGrantObject,
	"large": kwGrantObject, "parameter": kwGrantObject, "server": kwGrantObject,
}

// maxKeyword is the length of the longest keyword.
const maxKeyword = 12

// kwShape has bit last-'a' of [len(w)][w[0]-'a'] set for every keyword
// w: most identifiers are told from keywords by it alone.
var kwShape = func() (t [maxKeyword + 1][32]uint32) {
	for w := range keywordList {
		t[len(w)][w[0]-'a'] |= 1 << (w[len(w)-1] - 'a')
	}
	return t
}()

type kwEntry struct {
	word string
	kw   uint8
}

const kwSlots = 512

// kwTab is an open-addressing hash table of the keywords.
var kwTab = func() (t [kwSlots]kwEntry) {
	for w, kw := range keywordList {
		h := kwHash(w)
		for t[h].word != "" {
			h = (h + 1) & (kwSlots - 1)
		}
		t[h] = kwEntry{word: w, kw: kw}
	}
	return t
}()

// kwHash hashes a word of at least two bytes, ignoring ASCII case.
func kwHash(w string) int {
	return (len(w)*0x61 + int(w[0]|0x20)*0x3B + int(w[1]|0x20)*0x1F + int(w[len(w)-1]|0x20)*0x95) & (kwSlots - 1)
}

// maybeKeyword reports whether w has the length, first and last letter
// of a keyword: most identifiers are told from keywords by it alone.
func maybeKeyword(w string) bool {
	if len(w) > maxKeyword || len(w) < 2 {
		return false
	}
	f, l := (w[0]|0x20)-'a', (w[len(w)-1]|0x20)-'a'
	return f < 26 && l < 26 && kwShape[len(w)][f&31]&(1<<(l&31)) != 0
}

// keyword returns the keyword w is (whatever its case), or kwNone.
func keyword(w string) uint8 {
	if !maybeKeyword(w) {
		return kwNone
	}
	for h := kwHash(w); ; h = (h + 1) & (kwSlots - 1) {
		e := &kwTab[h]
		if e.word == "" {
			return kwNone
		}
		if len(e.word) == len(w) && foldEq(w, e.word) {
			return e.kw
		}
	}
}

// foldEq reports whether w is the lower-case letters k in any case.
func foldEq(w, k string) bool {
	for i := 0; i < len(k) && i < len(w); i++ {
		if w[i]|0x20 != k[i] {
			return false
		}
	}
	return true
}
