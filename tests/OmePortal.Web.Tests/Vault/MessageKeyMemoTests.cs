using OmePortal.Core.Vault;
using OmePortal.Testing;
using OmePortal.Web.Vault;

namespace OmePortal.Web.Tests.Vault;

/// <summary>The memo of unwrapped message keys hands out a key only for the very wrapped bytes it came from, and not for long.</summary>
public sealed class MessageKeyMemoTests : IDisposable
{
    private readonly ManualTimeProvider _clock = new();
    private readonly TenantKey _tenantKey = TenantKey.Generate(Guid.NewGuid(), 1);
    private readonly MessageKeyMemo _memo;

    public MessageKeyMemoTests() => _memo = new MessageKeyMemo(_clock);

    public void Dispose()
    {
        _memo.Dispose();
        _tenantKey.Dispose();
    }

    [Fact]
    public void Remembered_IsHandedOutAsAnOwnCopy_ThatSurvivesTheCallersDisposal()
    {
        var id = Guid.NewGuid();
        var (key, wrapped) = NewKey();
        _memo.Remember(id, 1, wrapped, key);
        key.Dispose();

        Assert.True(_memo.TryCopy(id, 1, wrapped, out var first));
        first.Dispose();
        Assert.True(_memo.TryCopy(id, 1, wrapped, out var second));
        using (second)
        {
            Assert.Equal(wrapped, second.WrapWith(_tenantKey));
        }
    }

    [Fact]
    public void OtherWrappedBytes_OtherVersion_OrOtherMessage_GetNothing()
    {
        var id = Guid.NewGuid();
        var wrapped = RememberNewKey(id);

        var (other, otherWrapped) = NewKey();
        other.Dispose();
        Assert.False(_memo.TryCopy(id, 1, otherWrapped, out _));
        Assert.False(_memo.TryCopy(id, 2, wrapped, out _));
        Assert.False(_memo.TryCopy(Guid.NewGuid(), 1, wrapped, out _));
        Assert.False(_memo.TryCopy(id, 1, wrapped.AsSpan(0, wrapped.Length - 1), out _));
        Assert.True(_memo.TryCopy(id, 1, wrapped, out var kept));
        kept.Dispose();
    }

    [Fact]
    public void AfterItsLifetime_AKeyIsNoLongerHandedOut_AndTheSweepDropsTheRest()
    {
        var idA = Guid.NewGuid();
        var idB = Guid.NewGuid();
        var wrappedA = RememberNewKey(idA);
        var wrappedB = RememberNewKey(idB);

        _clock.Advance(MessageKeyMemo.Lifetime - TimeSpan.FromMilliseconds(1));
        Assert.True(_memo.TryCopy(idA, 1, wrappedA, out var stillKept));
        stillKept.Dispose();

        _clock.Advance(TimeSpan.FromMilliseconds(1));
        Assert.False(_memo.TryCopy(idA, 1, wrappedA, out _));
        Assert.Equal(1, _memo.Count);
        _memo.Sweep();
        Assert.Equal(0, _memo.Count);
        Assert.False(_memo.TryCopy(idB, 1, wrappedB, out _));
    }

    [Fact]
    public void Forget_DropsTheKeyAtOnce()
    {
        var id = Guid.NewGuid();
        var wrapped = RememberNewKey(id);

        _memo.Forget(id);

        Assert.False(_memo.TryCopy(id, 1, wrapped, out _));
        Assert.Equal(0, _memo.Count);
    }

    [Fact]
    public void NeverHoldsMoreThanItsCapacity()
    {
        var wrapped = new byte[MessageKey.WrappedSize];
        using var key = MessageKey.Generate();
        for (var i = 0; i <= MessageKeyMemo.Capacity; i++)
        {
            _memo.Remember(Guid.NewGuid(), 1, wrapped, key);
        }

        Assert.InRange(_memo.Count, 1, MessageKeyMemo.Capacity);
    }

    /// <summary>Remembers a new key (version 1) for the message, disposes the caller's copy, and returns its wrapped bytes.</summary>
    private byte[] RememberNewKey(Guid messageId)
    {
        var (key, wrapped) = NewKey();
        using (key)
        {
            _memo.Remember(messageId, 1, wrapped, key);
        }

        return wrapped;
    }

    private (MessageKey Key, byte[] Wrapped) NewKey()
    {
        var key = MessageKey.Generate();
        return (key, key.WrapWith(_tenantKey));
    }
}
