// Package azureauth authenticates clients to Azure Redis with Microsoft
// Entra ID tokens: add [Module] with fx, or [Extension] without.
//
// It keeps every pooled connection of Azure Cache for Redis and Azure
// Managed Redis authenticated as tokens expire. It is the Go
// counterpart of .NET's Aspire.Microsoft.Azure.StackExchangeRedis
// (AddRedisClientBuilder("cache").WithAzureAuthentication()) and of
// Microsoft.Azure.StackExchangeRedis.
//
// It is a package of its own because it links the Azure SDK
// (azidentity): services that do not use Azure never import it, and the
// other packages of this module never do either.
//
// # Turning it on
//
// Per client, in configuration (the Go-only AzureAuthentication setting
// in the Aspire sections) or in code:
//
//	{"Aspire": {"StackExchange": {"Redis": {"cache": {"AzureAuthentication": true}}}}}
//
//	fx.Provide(rediscache.Client("cache", azureauth.WithCredential(nil))) // nil: DefaultAzureCredential
//
// Either way the package must be linked: with fx, add [Module]; in plain
// Go, pass [Extension] in rediscache.Deps.Extensions. A client whose
// AzureAuthentication is true without it fails to build with an error
// matching rediscache.ErrMissingExtension that says what to add: a setting
// that silently did nothing would leave the service without credentials.
//
// # What it does
//
// For a client with AzureAuthentication on:
//
//   - an endpoint that is not an Azure Redis host (none of the Azure suffixes:
//     *.redis.cache.windows.net, *.redis.azure.net and their sovereign
//     clouds) is left alone, with its own password: the same
//     configuration runs against a local container in development;
//   - a connection string that carries a password (an access key) keeps
//     it, as StackExchange.Redis prefers an explicit password; a warning
//     says so;
//   - otherwise each connection authenticates with a token for
//     https://redis.azure.com/.default from the credential, with the
//     token's object id (oid claim) as user name, or the connection
//     string's user= when set.
//
// TLS comes from the connection string, where Azure hosts default to
// ssl=true (ports 6380 and 10000); with TLS off a warning says that
// tokens would cross the network in clear text.
//
// # Refresh
//
// The extension installs a go-redis auth.StreamingCredentialsProvider
// (printing it shows the credential type and the token's expiry, never
// the token). It fetches a new token at [Options].RefreshFraction of the current one's
// lifetime (0.75 by default, with jitter), and go-redis re-authenticates
// each pooled connection with AUTH when it is next idle: in-flight
// commands are never interrupted. A failed fetch is retried with
// exponential back-off between RetryMin and RetryMax while connections
// keep the current token. The health check "redis_<name>_entra_id"
// reports Degraded while refresh fails and the
// token is valid, Unhealthy once it has expired; its text names the
// credential type and the expiry, never a token. redis-doctor shows the
// same, with the token's expiry.
//
// See docs/azure.md for the AppHost side and for what can only be checked
// against Azure itself.
package azureauth
