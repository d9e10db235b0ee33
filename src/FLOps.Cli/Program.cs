using FLOps.Cli;

return await CommandLineRunner.RunAsync(FlopsCommandLine.CreateRoot(), args);
