package connstr

import "strings"

// PropertyDef returns the row of a ConfigurationOptions property (any
// case), or nil when this integration binds no such property.
func PropertyDef(property string) *Def { return byProperty[strings.ToLower(property)] }

// Keyword is the connection-string keyword of the row, or "" for a
// property without one.
func (d *Def) Keyword() string { return d.name }

// Property is the ConfigurationOptions property of the row.
func (d *Def) Property() string { return d.property }

// IsChannelPrefix reports whether the row is ChannelPrefix, which .NET
// also binds from an object.
func (d *Def) IsChannelPrefix() bool { return d.name == keyChannelPrefix }

// ApplyProperty applies the value of the ConfigurationOptions property
// of row d, read as .NET's configuration binder reads it, with the
// connection string's validation.
func (b *Builder) ApplyProperty(d *Def, v string) error {
	return b.apply(d, d.label(), boundText(d, v), true)
}

// EndpointCount is the number of endpoints parsed so far.
func (b *Builder) EndpointCount() int { return len(b.endpoints) }
