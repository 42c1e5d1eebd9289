package rediscache

import (
	"fmt"
	"log/slog"
	"strings"

	"github.com/redis/go-redis/v9"

	"github.com/aspirego/redis/healthcheck"
	"github.com/aspirego/redis/settings"
)

// ExtensionGroup is the fx value group of client extensions: an
// [Extension] supplied into it is applied to every client the container
// builds. Package azureauth's Module supplies one.
const ExtensionGroup = "aspirego_redis_extensions"

// Extension configures a client from its resolved settings, before [New]
// builds it. It is how a package that this one must not import (because
// it links a large SDK, such as azureauth with the Azure SDK) implements a
// Go-only setting: [New] applies every extension to every client, and
// fails for a client whose settings turn on a setting that no extension
// implements. Each extension is one of the layers a client is built from,
// the first (docs/architecture.md).
//
// Pass extensions in [Deps].Extensions, or, with fx, supply them into the
// [ExtensionGroup] value group.
type Extension interface {
	// Setting is the configuration key of the setting the extension
	// implements, such as settings.AzureAuthenticationKey. Two extensions
	// of one setting are an error.
	Setting() string
	// Extend is called once per client, after its settings are resolved
	// and before the client is built. It may change res.Connection.Options
	// (the go-redis options the client is built from). It returns what it
	// adds to the client; the zero Addon when the setting is off or does
	// not apply. An error stops New; it should say what is wrong and
	// where, and never hold a secret.
	Extend(res *settings.Resolved, logger *slog.Logger) (Addon, error)
}

// Addon is what an [Extension] adds to one client.
type Addon struct {
	// Checks join the client's health checks (not when DisableHealthChecks
	// is true: the extension decides, it sees the settings).
	Checks []healthcheck.Check
	// Close, when not nil, runs when the client is closed, after the
	// go-redis client itself.
	Close func() error
}

// requiredExtensions lists the configuration keys of the settings of s
// that are on and need an extension.
func requiredExtensions(s settings.Settings) []string {
	var keys []string
	if s.AzureAuthentication {
		keys = append(keys, settings.AzureAuthenticationKey)
	}
	return keys
}

// extension is the layer of one [Extension]: it configures the client
// through Extend, and its Addon's checks and Close are the layer's.
type extension struct {
	noLayer
	ext    Extension
	res    *settings.Resolved
	logger *slog.Logger
	addon  Addon
}

func (e *extension) name() string { return "extension " + e.ext.Setting() }

// configure runs Extend, which may change o through e.res.Connection.Options
// (the same options).
func (e *extension) configure(*redis.UniversalOptions) (err error) {
	e.addon, err = e.ext.Extend(e.res, e.logger)
	return err
}

func (e *extension) close() error {
	if e.addon.Close == nil {
		return nil
	}
	return e.addon.Close()
}

// extensions are the layers of a client's extensions, in the order of
// Deps.Extensions: one layer, first in the order, so that the options the
// extensions set (credentials) are there when the other layers configure.
type extensions []*extension

// newExtensions returns the layers of exts for the client res describes.
// It fails when two extensions implement one setting, or when a setting of
// res that is on has no extension (ErrMissingExtension).
func newExtensions(res *settings.Resolved, exts []Extension, logger *slog.Logger) (extensions, error) {
	seen := make(map[string]bool, len(exts))
	var layers extensions
	for _, ext := range exts {
		if ext == nil {
			continue
		}
		key := ext.Setting()
		if seen[key] {
			return nil, fmt.Errorf("two extensions implement the setting %s: link it once (for example one azureauth.Module)", key)
		}
		seen[key] = true
		layers = append(layers, &extension{ext: ext, res: res, logger: logger})
	}
	for _, key := range requiredExtensions(res.Settings) {
		if !seen[key] {
			return nil, missingExtension(res.Name, key)
		}
	}
	return layers, nil
}

func (x extensions) name() string {
	names := make([]string, len(x))
	for i, e := range x {
		names[i] = e.name()
	}
	return "extensions [" + strings.Join(names, ", ") + "]"
}

// configure configures each extension in turn. On error the extensions
// configured so far are closed by the caller (layers.configure).
func (x extensions) configure(o *redis.UniversalOptions) error {
	for _, e := range x {
		if err := e.configure(o); err != nil {
			return err
		}
	}
	return nil
}

func (extensions) install(redis.UniversalClient) error             { return nil }
func (extensions) wrapCheck(c healthcheck.Check) healthcheck.Check { return c }

// checks returns the checks the extensions add to the client.
func (x extensions) checks() []healthcheck.Check {
	var checks []healthcheck.Check
	for _, e := range x {
		checks = append(checks, e.addon.Checks...)
	}
	return checks
}

// close closes the extensions and joins their errors.
func (x extensions) close() error {
	layers := make([]layer, len(x))
	for i, e := range x {
		layers[i] = e
	}
	return closeLayers(layers)
}

// missingExtension is the error of a client whose settings turn on
// setting, which a package that is not linked implements.
func missingExtension(client, setting string) error {
	hint := "link the package that implements it"
	if setting == settings.AzureAuthenticationKey {
		hint = "import github.com/aspirego/redis/azureauth and add azureauth.Module to the fx application, " +
			"or azureauth.Extension(azureauth.Options{}) to rediscache.Deps.Extensions"
	}
	return clientError(client, &kindError{kind: ErrMissingExtension,
		msg: fmt.Sprintf("%s is true, but nothing implements it: %s", setting, hint)})
}
