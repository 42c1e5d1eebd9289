//go:build !azure

// Without -tags azure the doctor does not link the Azure SDK: a client
// with AzureAuthentication=true is reported with the command that checks
// it (azureCommand).

package main

import (
	"log/slog"

	"github.com/aspirego/redis/internal/doctorcmd"
	"github.com/aspirego/redis/rediscache"
)

// entraProvider is a client's Entra ID token source: none in this build.
type entraProvider = *struct{}

// azureExtensions are the extensions the doctor builds clients with.
func azureExtensions(*slog.Logger) []rediscache.Extension { return nil }

// entraOf returns the token source of inst's client: none in this build.
func entraOf(*rediscache.Instance) entraProvider { return nil }

// entraUser is the user (oid) of p's token.
func entraUser(entraProvider) string { return "" }

// describeEntra fills in the token part of the Azure section.
func (d *doctor) describeEntra(*azureReport, entraProvider) {}

// azureProblem explains a failure caused by Entra ID: none in this build.
func (d *doctor) azureProblem(string, error) (string, bool) { return "", false }

// azureCommand is the command that runs the doctor with Microsoft Entra ID
// support for the client called name.
func azureCommand(name string) string { return doctorcmd.Command(name, "-tags", "azure") }
