using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using OmePortal.Data;
using OmePortal.Testing;

namespace OmePortal.Browser.Tests.Infrastructure;

/// <summary>Direct looks into (and the few changes to) the portal's database that no page offers.</summary>
public static class PortalData
{
    /// <summary>Revokes one recipient's access (what an admin or the sender will do; no endpoint exists for it yet).</summary>
    public static async Task RevokeAsync(PortalHost host, Guid messageId, string address)
    {
        await using var scope = host.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<OmePortalDbContext>();
        var recipient = await db.Recipients.SingleAsync(r => r.MessageId == messageId && r.Address == address);
        recipient.RevokedAt = DateTimeOffset.UtcNow;
        await db.SaveChangesAsync();
    }

    /// <summary>Lets a message expire now (intake only takes whole days ahead; 0 means "never").</summary>
    public static async Task ExpireAsync(PortalHost host, Guid messageId)
    {
        await using var scope = host.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<OmePortalDbContext>();
        var message = await db.Messages.SingleAsync(m => m.Id == messageId);
        message.ExpiresAt = DateTimeOffset.UtcNow.AddMinutes(-1);
        await db.SaveChangesAsync();
    }

    public static async Task<int> MessageCountAsync(PortalHost host)
    {
        await using var scope = host.Services.CreateAsyncScope();
        return await scope.ServiceProvider.GetRequiredService<OmePortalDbContext>().Messages.CountAsync();
    }

    /// <summary>The messages that answer <paramref name="messageId"/> (replies and forwards).</summary>
    public static async Task<IReadOnlyList<Guid>> RepliesToAsync(PortalHost host, Guid messageId)
    {
        await using var scope = host.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<OmePortalDbContext>();
        return await db.Messages.Where(m => m.InReplyToMessageId == messageId).Select(m => m.Id).ToListAsync();
    }
}
