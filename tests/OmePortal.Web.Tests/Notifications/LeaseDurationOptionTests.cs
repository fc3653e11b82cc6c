using OmePortal.Testing;

namespace OmePortal.Web.Tests.Notifications;

/// <summary>The claim lease of queued mail: a value that would lose mail for long or send it twice stops the start, naming the setting.</summary>
public sealed class LeaseDurationOptionTests
{
    [Theory]
    [InlineData("00:00:00.500")]
    [InlineData("01:00:01")]
    public async Task LeaseDuration_OutOfRange_StopsTheStart(string lease)
    {
        await using var host = new PortalHost(settings: new Dictionary<string, string?> { ["OmePortal:Notifications:LeaseDuration"] = lease });
        var error = await Assert.ThrowsAnyAsync<Exception>(host.StartAsync);
        Assert.Contains("OmePortal:Notifications:LeaseDuration must be between", error.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task LeaseDuration_NotLongerThanTheSendTimeout_StopsTheStart()
    {
        await using var sink = new SmtpSink();
        var settings = sink.SmartHostSettings();
        settings["OmePortal:Notifications:SmartHost:Timeout"] = "00:00:30";
        settings["OmePortal:Notifications:LeaseDuration"] = "00:00:30";
        await using var host = new PortalHost(settings: settings);
        var error = await Assert.ThrowsAnyAsync<Exception>(host.StartAsync);
        Assert.Contains("must be longer than OmePortal:Notifications:SmartHost:Timeout", error.ToString(), StringComparison.Ordinal);
    }
}
