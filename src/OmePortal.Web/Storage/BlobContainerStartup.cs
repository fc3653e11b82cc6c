using Microsoft.Extensions.Options;

namespace OmePortal.Web.Storage;

/// <summary>
/// Creates the Azure container when it is missing, before the listeners take traffic: an unreachable
/// account or a refused credential stops the start with the service's own message, not the first message.
/// </summary>
internal sealed partial class BlobContainerStartup(IOptions<BlobOptions> options, ILogger<BlobContainerStartup> logger) : IHostedService
{
    // From the options, not the registered store: telemetry wraps the store, and the check must not depend on how.
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        if (options.Value is { Provider: BlobProvider.AzureBlob } blobs)
        {
            var container = AzureBlobStore.ContainerFor(blobs.AzureBlob);
            await AzureBlobStore.EnsureContainerAsync(container, cancellationToken);
            LogContainerReady(container.Name);
        }
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    [LoggerMessage(EventId = 1301, Level = LogLevel.Information, Message = "Blobs are stored in Azure container {Container}.")]
    private partial void LogContainerReady(string container);
}
