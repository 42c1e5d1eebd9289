package rediscache

import (
	"errors"
	"fmt"
	"log/slog"

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
// implements.
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

// extend applies exts to the client res describes. On error it closes
// whatever the extensions applied so far returned.
func extend(res *settings.Resolved, exts []Extension, logger *slog.Logger) ([]Addon, error) {
	seen := make(map[string]bool, len(exts))
	for _, ext := range exts {
		if ext == nil {
			continue
		}
		key := ext.Setting()
		if seen[key] {
			return nil, fmt.Errorf("two extensions implement the setting %s: link it once (for example one azureauth.Module)", key)
		}
		seen[key] = true
	}
	for _, key := range requiredExtensions(res.Settings) {
		if !seen[key] {
			return nil, &MissingExtensionError{Name: res.Name, Setting: key}
		}
	}
	var addons []Addon
	for _, ext := range exts {
		if ext == nil {
			continue
		}
		a, err := ext.Extend(res, logger)
		if err != nil {
			closeAddons(addons)
			return nil, err
		}
		addons = append(addons, a)
	}
	return addons, nil
}

// closeAddons runs the Close functions of addons and joins their errors.
func closeAddons(addons []Addon) error {
	var errs []error
	for _, a := range addons {
		if a.Close != nil {
			if err := a.Close(); err != nil {
				errs = append(errs, err)
			}
		}
	}
	return errors.Join(errs...)
}

// MissingExtensionError is returned by [New] for a client whose settings
// turn on a setting implemented by a package that is not linked.
type MissingExtensionError struct {
	Name    string // the client's name
	Setting string // the setting's key, such as "AzureAuthentication"
}

func (e *MissingExtensionError) Error() string {
	hint := "link the package that implements it"
	if e.Setting == settings.AzureAuthenticationKey {
		hint = "import github.com/aspirego/redis/azureauth and add azureauth.Module to the fx application, " +
			"or azureauth.Extension(azureauth.Options{}) to rediscache.Deps.Extensions"
	}
	return fmt.Sprintf("rediscache: client %q: %s is true, but nothing implements it: %s", e.Name, e.Setting, hint)
}
