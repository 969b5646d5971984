public let ecrsynthVersion = "0.1.0"
