using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.Options;

namespace OmePortal.Web.Reading;

/// <summary>
/// Section <c>OmePortal:Reading:ImageProxy</c>: how the portal fetches a message's remote images for a
/// reader who asked to see them (<see cref="ImageProxyEndpoint"/>), so the reader's browser never
/// contacts the sender's server.
/// </summary>
public sealed class ImageProxyOptions
{
    public const string Section = "OmePortal:Reading:ImageProxy";

    /// <summary>Largest image passed on, in bytes; a larger one is refused when declared and cut off when it is not.</summary>
    [Range(1024, 50L * 1024 * 1024)]
    public long MaxBytes { get; set; } = 5L * 1024 * 1024;

    /// <summary>The whole fetch: connecting, every redirect and the body.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "00:02:00")]
    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Redirects followed, each to an address checked like the first.</summary>
    [Range(0, 3)]
    public int MaxRedirects { get; set; } = 3;

    /// <summary>Proxied image requests one client (an IPv4 address or an IPv6 /64) may make in a minute; then 429.</summary>
    [Range(1, 1_000_000)]
    public int RequestsPerMinutePerClient { get; set; } = 300;

    /// <summary>
    /// Tests only: lets the proxy fetch from loopback addresses (every other private range stays
    /// refused), because a test's image server can only listen there. Refused at start outside Development.
    /// </summary>
    public bool AllowLoopbackTargets { get; set; }
}

/// <summary>Checked at start (ValidateOnStart): the loopback test seam never reaches a production portal.</summary>
internal sealed class ImageProxyOptionsValidator(IHostEnvironment environment) : IValidateOptions<ImageProxyOptions>
{
    public ValidateOptionsResult Validate(string? name, ImageProxyOptions options) =>
        options.AllowLoopbackTargets && !environment.IsDevelopment()
            ? ValidateOptionsResult.Fail($"{ImageProxyOptions.Section}:AllowLoopbackTargets is for tests and is refused outside Development (the image proxy would reach services on this machine).")
            : ValidateOptionsResult.Success;
}
