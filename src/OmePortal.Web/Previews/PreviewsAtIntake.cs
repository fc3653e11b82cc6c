using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using OmePortal.Data;

namespace OmePortal.Web.Previews;

/// <summary>
/// With <see cref="PreviewOptions.AtIntake"/>, renders the previews of messages that arrived since the node
/// started, in the background, so a reader's first preview is already stored. It looks for new messages every
/// few seconds rather than hooking into intake, so intake's speed is untouched; a message it misses (two with
/// the same arrival time, a restart) simply gets its previews on the first request, as without the option.
/// Several nodes may do the same message at once: the unique row per attachment keeps one result.
/// </summary>
internal sealed partial class PreviewsAtIntake(IServiceScopeFactory scopes, IOptions<PreviewOptions> options, TimeProvider time, ILogger<PreviewsAtIntake> logger) : BackgroundService
{
    private static readonly TimeSpan PollInterval = TimeSpan.FromSeconds(2);
    private const int BatchSize = 20;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!options.Value.Enabled || !options.Value.AtIntake)
        {
            return;
        }

        var since = time.GetUtcNow();
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                since = await RenderNewAsync(since, stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception exception)
            {
                // A failure here costs only the head start: the preview is made on the first request instead.
                LogFailed(exception);
            }

            try
            {
                await Task.Delay(PollInterval, time, stoppingToken);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    private async Task<DateTimeOffset> RenderNewAsync(DateTimeOffset since, CancellationToken cancellationToken)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<OmePortalDbContext>();
        var previews = scope.ServiceProvider.GetRequiredService<AttachmentPreviews>();
        var arrived = await db.Messages.AsNoTracking()
            .Where(m => m.ReceivedAt > since && m.WrappedKey != null)
            .OrderBy(m => m.ReceivedAt)
            .Take(BatchSize)
            .ToListAsync(cancellationToken);
        foreach (var message in arrived)
        {
            await previews.PrepareAllAsync(message, cancellationToken);
            since = message.ReceivedAt;
        }

        return since;
    }

    [LoggerMessage(EventId = 2303, Level = LogLevel.Warning, Message = "Rendering previews at intake failed; they will be made on the first request.")]
    private partial void LogFailed(Exception exception);
}
