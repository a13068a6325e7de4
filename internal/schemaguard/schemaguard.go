// Package schemaguard supports the fast validation paths of internal/spec
// and internal/render: each checks the common shapes in Go and keeps the
// JSON Schema for everything else, and guards itself by comparing the part
// of the schema it mirrors with the one it was written against. Comparing
// needs the schema without its annotations, which is what this package
// computes.
package schemaguard

// StripAnnotations returns v (a decoded JSON value) without the keywords
// that do not take part in validation: title, description, examples and
// $comment, at any depth.
func StripAnnotations(v any) any {
	switch v := v.(type) {
	case map[string]any:
		m := make(map[string]any, len(v))
		for k, x := range v {
			switch k {
			case "title", "description", "examples", "$comment":
			default:
				m[k] = StripAnnotations(x)
			}
		}
		return m
	case []any:
		s := make([]any, len(v))
		for i, x := range v {
			s[i] = StripAnnotations(x)
		}
		return s
	}
	return v
}
