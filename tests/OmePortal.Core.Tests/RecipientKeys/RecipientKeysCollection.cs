using OmePortal.Testing.Interop;

namespace OmePortal.Core.Tests.RecipientKeys;

/// <summary>One set of gpg/openssl-made keys for every recipient key test class of this project.</summary>
[CollectionDefinition(Name)]
public sealed class RecipientKeysCollection : ICollectionFixture<RecipientTestKeys>
{
    public const string Name = "recipient keys (gpg, openssl)";
}
