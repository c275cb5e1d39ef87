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
	kwIn // SQLite: expr IN table-name
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
	// fAlias: an fEnder word that PostgreSQL or SQLite also takes as a
	// relation's alias (FROM audit_logs set, notes): right after a
	// relation it ends the list only if no ',' follows (parser.aliasAt).
	fAlias
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
		kwWhen, kwWhere, kwWindow, kwWith, kwReserved, kwIn} {
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
	for _, k := range []uint8{kwConflict, kwDo, kwFetch, kwFor, kwGrant, kwOffset, kwSet, kwValues, kwWindow} {
		f[k] |= fAlias
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
	"in": kwIn, "null": kwReserved, "primary": kwReserved, "true": kwReserved,
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

// prefixTab has bit len(w) of [w[0]&31<<5 | w[1]&31] set for every
// keyword w of a set: a word whose length and first two bytes match no
// keyword's is none, told with one load, which may start before the
// word's end is found. The bytes are taken &31, which keeps a letter's
// case-insensitive identity; other bytes (digits, '_', '$', non-ASCII)
// only make the test pass where it need not.
type prefixTab [32 * 32]uint16

func prefixes(keep func(kw uint8) bool) (t prefixTab) {
	for w, kw := range keywordList {
		if keep(kw) {
			t[int(w[0]&31)<<5|int(w[1]&31)] |= 1 << len(w)
		}
	}
	return t
}

// kwPrefix holds every keyword. kwPrefixNone holds those that matter
// where no relation is expected. The others (the reserved words of
// expressions: AND, IN, NULL, CASE, LEFT, DESC ...; and words such as
// ONLY, INDEX, VIEW) have no action there and are tested as the
// previous token by no action either: read as identifiers, they change
// nothing, and more words are told from the keywords that matter
// without a lookup.
var (
	kwPrefix     = prefixes(func(uint8) bool { return true })
	kwPrefixNone = prefixes(func(kw uint8) bool { return !asIdent[kw] })
)

// asIdent marks the keywords that may be read as identifiers where no
// relation is expected, in any statement: no action of the parser's
// there tests them as the word itself or as the previous one.
var asIdent = func() (t [kwLast]bool) {
	for _, kw := range []uint8{kwReserved, kwWhen, kwExists, kwOnly, kwLateral, kwIf,
		kwOrdinality, kwRecursive, kwMaterialized, kwTemp, kwTemporary, kwUnlogged, kwFull,
		kwFreeze, kwVerbose, kwConcurrently, kwColumn, kwView, kwIndex, kwTrigger, kwPolicy,
		kwRule, kwLanguage, kwRows, kwGlobal, kwLocal, kwVirtual, kwConstraint, kwForeign,
		kwUnique, kwGrantObject} {
		t[kw] = true
	}
	return t
}()

// A keyword is looked up by its bytes folded to lower case (|0x20) and
// packed little-endian: the first eight in lo, the next four in hi.
// Identifier bytes are never 0, so (lo, hi) is the word itself.
type kwEntry struct {
	lo uint64
	hi uint32
	kw uint8
}

// kwTab is a perfect hash table of the keywords: kwMul was chosen so
// that no two keywords share a slot (the init below checks it), and a
// word is one of them only if it is the one in its slot.
var kwTab = func() (t [1 << kwBits]kwEntry) {
	for w, kw := range keywordList {
		lo, hi := pack(w, 0, len(w))
		e := &t[kwHash(lo, hi)]
		if e.lo != 0 {
			panic("sqltables: keywords " + w + " and another share a slot: choose another kwMul")
		}
		*e = kwEntry{lo: lo, hi: uint32(hi), kw: kw}
	}
	return t
}()

const (
	kwBits = 10
	kwMul  = 0xa721ab2b8d9555e1
)

// kwHash returns the slot of a key.
func kwHash(lo, hi uint64) uint64 {
	return ((lo ^ hi<<3) * kwMul) >> (64 - kwBits)
}

// kwFind returns the keyword whose key is (lo, hi), or kwNone.
func kwFind(lo, hi uint64) uint8 {
	e := &kwTab[kwHash(lo, hi)]
	if e.lo != lo || uint64(e.hi) != hi {
		return kwNone
	}
	return e.kw
}

// fold sets the bit that makes an ASCII letter lower case, in each byte.
const fold = 0x2020202020202020

// loMask and hiMask keep the bytes of a word of n bytes in lo and hi.
var loMask, hiMask = func() (lo, hi [16]uint64) {
	for n := 0; n <= maxKeyword; n++ {
		for b := 0; b < n; b++ {
			if b < 8 {
				lo[n] |= 0xFF << (8 * b)
			} else {
				hi[n] |= 0xFF << (8 * (b - 8))
			}
		}
	}
	return lo, hi
}()

// load8 and load4 return the first 8 or 4 bytes of b, little-endian:
// one load each.
func load8(b string) uint64 {
	_ = b[7]
	return uint64(b[0]) | uint64(b[1])<<8 | uint64(b[2])<<16 | uint64(b[3])<<24 |
		uint64(b[4])<<32 | uint64(b[5])<<40 | uint64(b[6])<<48 | uint64(b[7])<<56
}

func load4(b string) uint64 {
	_ = b[3]
	return uint64(b[0]) | uint64(b[1])<<8 | uint64(b[2])<<16 | uint64(b[3])<<24
}

// pack returns the key of src[i:j], a word of 2 to maxKeyword bytes.
// Where 12 bytes can be read from i, they are read at once and masked:
// the bytes after the word change nothing.
func pack(src string, i, j int) (lo, hi uint64) {
	n := (j - i) & 15
	if i >= 0 && i+12 <= len(src) {
		lo, hi = load8(src[i:i+8]), load4(src[i+8:i+12])
	} else {
		for k := j - i - 1; k >= 0; k-- {
			if k < 8 {
				lo = lo<<8 | uint64(src[i+k])
			} else {
				hi = hi<<8 | uint64(src[i+k])
			}
		}
	}
	return (lo | fold) & loMask[n], (hi | fold) & hiMask[n]
}

// lookup returns the keyword src[i:j] is (whatever its case), or kwNone.
func lookup(src string, i, j int) uint8 {
	w := j - i
	if w < 2 || w > maxKeyword || kwPrefix[int(src[i]&31)<<5|int(src[i+1]&31)]>>w&1 == 0 {
		return kwNone
	}
	return kwFind(pack(src, i, j))
}
