// Package entraid is what this module's own tools (redis-doctor) read of
// a client's Microsoft Entra ID token provider, which package azureauth
// installs and keeps unexported: its state, its health check's name and
// its refresh failures. It links nothing of the Azure SDK.
package entraid
