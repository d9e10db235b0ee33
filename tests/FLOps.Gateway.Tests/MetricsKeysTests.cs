namespace FLOps.Gateway.Tests;

public sealed class MetricsKeysTests
{
    private static readonly ApiKeys TenantKeys = ApiKeys.Parse("a:tenant-key");

    [Fact]
    public void Each_configured_metrics_key_is_accepted_and_nothing_else()
    {
        var keys = MetricsKeys.Parse(" scrape-1 ,scrape-2,", TenantKeys);

        Assert.True(keys.Accepts("scrape-1"));
        Assert.True(keys.Accepts("scrape-2"));
        Assert.False(keys.Accepts("tenant-key"));
        Assert.False(keys.Accepts("scrape-3"));
        Assert.False(keys.Accepts(""));
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData(" , ")]
    public void Without_metrics_keys_no_key_is_accepted(string? configured)
    {
        var keys = MetricsKeys.Parse(configured, TenantKeys);

        Assert.False(keys.Accepts("tenant-key"));
        Assert.False(keys.Accepts(""));
    }

    [Fact]
    public void A_key_that_is_also_a_tenants_api_key_is_refused_naming_both_variables()
    {
        var refusal = Assert.Throws<FormatException>(() => MetricsKeys.Parse("scrape-1,tenant-key", TenantKeys));

        Assert.Contains("FLOPS_METRICS_KEYS", refusal.Message, StringComparison.Ordinal);
        Assert.Contains("FLOPS_API_KEYS", refusal.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("tenant-key", refusal.Message, StringComparison.Ordinal);
    }
}
