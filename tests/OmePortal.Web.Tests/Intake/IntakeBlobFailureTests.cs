using System.Net;
using System.Net.Http.Headers;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using OmePortal.Testing;
using OmePortal.Web.Storage;

namespace OmePortal.Web.Tests.Intake;

/// <summary>
/// The content upload fails halfway, after the render model was stored: intake answers with a server error,
/// commits no row, and removes the render model, so no blob is left that nothing points at.
/// </summary>
public abstract class IntakeBlobFailureTests
{
    private int _failures;

    protected abstract StorageKind Storage { get; }

    [Fact]
    public async Task Post_ContentUploadFailsMidStream_Answers500_AndLeavesNoRowAndNoBlob()
    {
        await using var host = await new PortalHost(Storage) { ServiceOverrides = FailContentUploads }.StartAsync();
        using var client = host.CreateApiClient();
        var content = new ByteArrayContent(PortalIngest.Sample("03-forwarded-rfc822-cc.eml"));
        content.Headers.ContentType = MediaTypeHeaderValue.Parse("message/rfc822");

        using var response = await client.PostAsync("/api/v1/messages", content);

        Assert.Equal(HttpStatusCode.InternalServerError, response.StatusCode);
        Assert.Equal(0, await host.DbAsync(db => db.Messages.CountAsync()));
        Assert.Equal(0, await host.CountBlobsAsync());
        Assert.Equal(1, _failures);
    }

    /// <summary>Wraps whichever store the host registered (files or Azure, timed by telemetry).</summary>
    private void FailContentUploads(IServiceCollection services)
    {
        var registered = services.Last(d => d.ServiceType == typeof(IBlobStore));
        services.Remove(registered);
        services.AddSingleton<IBlobStore>(sp => new FailingContentStore((IBlobStore)(registered.ImplementationInstance ?? registered.ImplementationFactory!(sp)), () => _failures++));
    }

    private sealed class FailingContentStore(IBlobStore inner, Action failed) : IBlobStore
    {
        public Task<long> WriteAsync(string name, Func<Stream, CancellationToken, Task> writer, CancellationToken cancellationToken) =>
            name.EndsWith(".content", StringComparison.Ordinal)
                ? inner.WriteAsync(name, async (stream, ct) =>
                {
                    // Some ciphertext reaches the store before the upload breaks.
                    await stream.WriteAsync(new byte[100_000], ct);
                    failed();
                    throw new IOException("the connection to the blob store broke");
                }, cancellationToken)
                : inner.WriteAsync(name, writer, cancellationToken);

        public Task<Stream> OpenReadAsync(string name, CancellationToken cancellationToken) => inner.OpenReadAsync(name, cancellationToken);

        public Task DeleteAsync(string name, CancellationToken cancellationToken) => inner.DeleteAsync(name, cancellationToken);

        public Task<bool> ExistsAsync(string name, CancellationToken cancellationToken) => inner.ExistsAsync(name, cancellationToken);
    }
}

public sealed class IntakeBlobFailureSqliteTests : IntakeBlobFailureTests
{
    protected override StorageKind Storage => StorageKind.Sqlite;
}

public sealed class IntakeBlobFailurePostgresAzureBlobTests : IntakeBlobFailureTests
{
    protected override StorageKind Storage => StorageKind.PostgresAzureBlob;
}
