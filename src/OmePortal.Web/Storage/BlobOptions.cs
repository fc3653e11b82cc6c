using System.Text.RegularExpressions;
using Microsoft.Extensions.Options;

namespace OmePortal.Web.Storage;

public enum BlobProvider
{
    /// <summary>Files under <c>&lt;data&gt;/blobs</c>: one machine.</summary>
    File,

    /// <summary>Azure Blob Storage (or Azurite): several nodes share one container.</summary>
    AzureBlob,
}

/// <summary>Section <c>OmePortal:Blobs</c>. Files under the data directory unless told otherwise.</summary>
public sealed partial class BlobOptions
{
    public const string Section = "OmePortal:Blobs";

    public BlobProvider Provider { get; set; } = BlobProvider.File;

    public AzureBlobOptions AzureBlob { get; set; } = new();

    /// <summary>What is wrong with these options, or nothing: start-up refuses options that could only fail later.</summary>
    public IEnumerable<string> Problems()
    {
        if (Provider != BlobProvider.AzureBlob)
        {
            yield break;
        }

        var hasConnectionString = !string.IsNullOrWhiteSpace(AzureBlob.ConnectionString);
        var hasServiceUri = !string.IsNullOrWhiteSpace(AzureBlob.ServiceUri);
        if (hasConnectionString == hasServiceUri)
        {
            yield return "OmePortal:Blobs:Provider is AzureBlob: set exactly one of OmePortal:Blobs:AzureBlob:ConnectionString and OmePortal:Blobs:AzureBlob:ServiceUri.";
        }

        if (hasServiceUri && (!Uri.TryCreate(AzureBlob.ServiceUri, UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttps && uri.Scheme != Uri.UriSchemeHttp)))
        {
            yield return "OmePortal:Blobs:AzureBlob:ServiceUri must be an absolute https URL, e.g. https://account.blob.core.windows.net.";
        }

        if (!ContainerName().IsMatch(AzureBlob.Container ?? "") || AzureBlob.Container!.Contains("--", StringComparison.Ordinal))
        {
            yield return "OmePortal:Blobs:AzureBlob:Container must be 3 to 63 lower-case letters, digits and single hyphens, starting and ending with a letter or digit.";
        }
    }

    // Azure's rule for container names; a bad one would only fail at the first upload otherwise.
    [GeneratedRegex("^[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$", RegexOptions.CultureInvariant)]
    private static partial Regex ContainerName();
}

/// <summary>Section <c>OmePortal:Blobs:AzureBlob</c>.</summary>
public sealed class AzureBlobOptions
{
    /// <summary>A storage account connection string (account key or SAS), e.g. Azurite's development one.</summary>
    public string? ConnectionString { get; set; }

    /// <summary>The account's blob endpoint, e.g. https://account.blob.core.windows.net; signs in with <c>DefaultAzureCredential</c> (managed identity, workload identity, environment).</summary>
    public string? ServiceUri { get; set; }

    /// <summary>The container that holds every blob of this installation; created at start when missing.</summary>
    public string Container { get; set; } = "omeportal";
}

/// <summary>Refuses blob options that could only fail at the first message, each problem named.</summary>
internal sealed class BlobOptionsValidation : IValidateOptions<BlobOptions>
{
    public ValidateOptionsResult Validate(string? name, BlobOptions options) =>
        options.Problems().ToList() is { Count: > 0 } problems ? ValidateOptionsResult.Fail(problems) : ValidateOptionsResult.Success;
}
