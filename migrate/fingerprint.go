package migrate

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"hash"
	"io"
	"maps"
	"slices"
	"strings"

	"gorm.io/gorm"
	"gorm.io/gorm/schema"
)

// fingerprintVersion changes when what the fingerprint covers changes, so
// that every ledger row written before is seen as another version.
const fingerprintVersion = "automigrate v1"

// fingerprint returns a stable hash of the schema steps make on one
// database, as GORM parses their models: each table, its columns with
// their types and tags, indexes, checks, and the foreign keys kept. The
// same models give the same fingerprint in every process; any change to
// what AutoMigrate would make on the database changes it.
func fingerprint(db *gorm.DB, steps []step) (string, error) {
	h := sha256.New()
	line(h, fingerprintVersion)
	for _, st := range steps {
		if name, ok := st.model.(string); ok {
			line(h, "table", name)
			continue
		}
		sch, err := parse(db, st.model)
		if err != nil {
			return "", fmt.Errorf("migrate: model %T: %w", st.model, err)
		}
		writeSchema(h, sch, st)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// writeSchema writes the parts of sch that AutoMigrate turns into DDL,
// each part in a fixed order.
func writeSchema(h hash.Hash, sch *schema.Schema, st step) {
	line(h, "table", sch.Table, fmt.Sprint(st.cut))
	for _, name := range slices.Sorted(maps.Keys(sch.FieldsByDBName)) {
		f := sch.FieldsByDBName[name]
		if f.IgnoreMigration {
			continue
		}
		line(h, "column", name, string(f.DataType), string(f.GORMDataType),
			fmt.Sprint(f.Size, f.Precision, f.Scale, f.PrimaryKey, f.AutoIncrement, f.NotNull, f.Unique, f.HasDefaultValue),
			f.DefaultValue, f.Comment, tags(f.TagSettings))
	}
	indexes := sch.ParseIndexes()
	slices.SortFunc(indexes, func(a, b *schema.Index) int { return strings.Compare(a.Name, b.Name) })
	for _, idx := range indexes {
		parts := []string{"index", idx.Name, idx.Class, idx.Type, idx.Where, idx.Comment, idx.Option}
		for _, o := range idx.Fields {
			col := ""
			if o.Field != nil {
				col = o.DBName
			}
			parts = append(parts, col, o.Expression, o.Sort, o.Collate, fmt.Sprint(o.Length))
		}
		line(h, parts...)
	}
	checks := sch.ParseCheckConstraints()
	for _, name := range slices.Sorted(maps.Keys(checks)) {
		line(h, "check", name, checks[name].Constraint)
	}
	kept := map[string]*schema.Constraint{}
	for _, rel := range sch.Relationships.Relations {
		if c := rel.ParseConstraint(); c != nil && c.Schema == sch {
			kept[c.Name] = c
		}
	}
	for _, name := range st.keep { // sorted
		c, ok := kept[name]
		if !ok {
			line(h, "foreign key", name)
			continue
		}
		parts := []string{"foreign key", c.Name, c.ReferenceSchema.Table, c.OnDelete, c.OnUpdate}
		for _, f := range c.ForeignKeys {
			parts = append(parts, f.DBName)
		}
		parts = append(parts, "references")
		for _, f := range c.References {
			parts = append(parts, f.DBName)
		}
		line(h, parts...)
	}
}

// tags returns a field's tag settings in a fixed order.
func tags(settings map[string]string) string {
	var b strings.Builder
	for _, k := range slices.Sorted(maps.Keys(settings)) {
		fmt.Fprintf(&b, "%q=%q ", k, settings[k])
	}
	return b.String()
}

// line writes parts quoted, so that no two lists write the same bytes.
func line(w io.Writer, parts ...string) {
	for _, p := range parts {
		fmt.Fprintf(w, "%q ", p)
	}
	_, _ = io.WriteString(w, "\n")
}
