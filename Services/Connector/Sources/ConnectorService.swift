// ConnectorService
