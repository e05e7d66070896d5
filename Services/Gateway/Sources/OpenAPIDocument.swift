/// `GET /api/openapi.json`: an OpenAPI 3.1 description of every route (API.md §7). Kept as literal
/// JSON so what is served is exactly what is reviewed; a test validates it with a standard validator.
enum OpenAPIDocument {
    static let bytes: [UInt8] = Array(text.utf8)

    static let text = #"""
{
  "openapi": "3.1.0",
  "info": {
    "title": "Passcode",
    "version": "1.0.0",
    "description": "One-time verification codes by email and SMS; a drop-in for Logto's verification-code API."
  },
  "servers": [{"url": "/"}],
  "tags": [
    {"name": "Management", "description": "Server-to-server, bearer token."},
    {"name": "Experience", "description": "End user, _interaction cookie."},
    {"name": "Operations"}
  ],
  "paths": {
    "/api/verification-codes": {
      "post": {
        "tags": ["Management"], "operationId": "SendVerificationCode", "summary": "Send a verification code",
        "security": [{"bearer": []}],
        "requestBody": {"required": true, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ManagementIdentifier"}}}},
        "responses": {
          "204": {"description": "The code was sent."},
          "400": {"$ref": "#/components/responses/BadRequest"},
          "401": {"$ref": "#/components/responses/Unauthorized"},
          "403": {"$ref": "#/components/responses/Forbidden"},
          "413": {"$ref": "#/components/responses/PayloadTooLarge"},
          "429": {"$ref": "#/components/responses/TooManyRequests"},
          "501": {"$ref": "#/components/responses/NotImplemented"},
          "503": {"$ref": "#/components/responses/Unavailable"}
        }
      }
    },
    "/api/verification-codes/verify": {
      "post": {
        "tags": ["Management"], "operationId": "VerifyVerificationCode", "summary": "Verify a verification code",
        "security": [{"bearer": []}],
        "requestBody": {"required": true, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ManagementVerify"}}}},
        "responses": {
          "204": {"description": "The code is correct; it is now consumed."},
          "400": {"$ref": "#/components/responses/BadRequest"},
          "401": {"$ref": "#/components/responses/Unauthorized"},
          "403": {"$ref": "#/components/responses/Forbidden"},
          "413": {"$ref": "#/components/responses/PayloadTooLarge"},
          "503": {"$ref": "#/components/responses/Unavailable"}
        }
      }
    },
    "/api/experience": {
      "put": {
        "tags": ["Experience"], "operationId": "InitInteraction", "summary": "Start or reset an interaction",
        "requestBody": {"required": true, "content": {"application/json": {"schema": {
          "type": "object", "required": ["interactionEvent"],
          "properties": {"interactionEvent": {"$ref": "#/components/schemas/InteractionEvent"}}}}}},
        "responses": {
          "204": {"description": "The interaction is started (or reset); the _interaction cookie is set.",
                  "headers": {"Set-Cookie": {"schema": {"type": "string"}}}},
          "400": {"$ref": "#/components/responses/BadRequest"},
          "413": {"$ref": "#/components/responses/PayloadTooLarge"},
          "503": {"$ref": "#/components/responses/Unavailable"}
        }
      }
    },
    "/api/experience/verification/verification-code": {
      "post": {
        "tags": ["Experience"], "operationId": "CreateAndSendVerificationCode", "summary": "Create and send a verification code",
        "security": [{"interaction": []}],
        "requestBody": {"required": true, "content": {"application/json": {"schema": {
          "type": "object", "required": ["identifier", "interactionEvent"],
          "properties": {
            "identifier": {"$ref": "#/components/schemas/VerificationCodeIdentifier"},
            "interactionEvent": {"$ref": "#/components/schemas/InteractionEvent"}}}}}},
        "responses": {
          "200": {"description": "The verification record's id.",
                  "content": {"application/json": {"schema": {"$ref": "#/components/schemas/VerificationIdBody"}}},
                  "links": {"VerifyTheSentCode": {
                    "operationId": "VerifyVerificationCodeVerification",
                    "description": "Verify the record just created, for the identifier it was sent to.",
                    "requestBody": {"identifier": "$request.body#/identifier", "verificationId": "$response.body#/verificationId"}}}},
          "400": {"$ref": "#/components/responses/BadRequest"},
          "413": {"$ref": "#/components/responses/PayloadTooLarge"},
          "429": {"$ref": "#/components/responses/TooManyRequests"},
          "501": {"$ref": "#/components/responses/NotImplemented"},
          "503": {"$ref": "#/components/responses/Unavailable"}
        }
      }
    },
    "/api/experience/verification/verification-code/verify": {
      "post": {
        "tags": ["Experience"], "operationId": "VerifyVerificationCodeVerification", "summary": "Verify verification code",
        "security": [{"interaction": []}],
        "requestBody": {"required": true, "content": {"application/json": {"schema": {
          "type": "object", "required": ["identifier", "verificationId", "code"],
          "properties": {
            "identifier": {"$ref": "#/components/schemas/VerificationCodeIdentifier"},
            "verificationId": {"type": "string", "maxLength": 128},
            "code": {"type": "string", "maxLength": 64}}}}}},
        "responses": {
          "200": {"$ref": "#/components/responses/VerificationId"},
          "400": {"$ref": "#/components/responses/BadRequest"},
          "404": {"$ref": "#/components/responses/NotFound"},
          "413": {"$ref": "#/components/responses/PayloadTooLarge"},
          "503": {"$ref": "#/components/responses/Unavailable"}
        }
      }
    },
    "/api/experience/interaction": {
      "get": {
        "tags": ["Experience"], "operationId": "GetInteraction", "summary": "The current interaction and its verification records",
        "security": [{"interaction": []}],
        "responses": {
          "200": {"description": "The interaction; never a code.", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Interaction"}}}},
          "400": {"$ref": "#/components/responses/BadRequest"},
          "503": {"$ref": "#/components/responses/Unavailable"}
        }
      }
    },
    "/healthz": {
      "get": {"tags": ["Operations"], "operationId": "Healthz", "summary": "The process is alive",
        "responses": {"200": {"description": "Alive.", "content": {"application/json": {"schema": {"type": "object"}}}}}}
    },
    "/readyz": {
      "get": {"tags": ["Operations"], "operationId": "Readyz", "summary": "The verifier and connector answer",
        "responses": {
          "200": {"description": "Ready.", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Readiness"}}}},
          "503": {"description": "A backend does not answer.", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Readiness"}}}}}}
    },
    "/metrics": {
      "get": {"tags": ["Operations"], "operationId": "Metrics", "summary": "Prometheus text format",
        "responses": {"200": {"description": "Metrics.", "content": {"text/plain": {"schema": {"type": "string"}}}}}}
    },
    "/api/openapi.json": {
      "get": {"tags": ["Operations"], "operationId": "OpenAPI", "summary": "This document",
        "responses": {"200": {"description": "OpenAPI 3.1.", "content": {"application/json": {"schema": {"type": "object"}}}}}}
    }
  },
  "components": {
    "securitySchemes": {
      "bearer": {"type": "http", "scheme": "bearer", "description": "An API key from PASSCODE_API_KEYS, or an HS256 JWT."},
      "interaction": {"type": "apiKey", "in": "cookie", "name": "_interaction"}
    },
    "schemas": {
      "Email": {"type": "string", "maxLength": 256, "pattern": "^\\S+@\\S+\\.\\S+$"},
      "Phone": {"type": "string", "maxLength": 15, "pattern": "^\\d+$"},
      "ManagementIdentifier": {
        "type": "object",
        "properties": {"email": {"$ref": "#/components/schemas/Email"}, "phone": {"$ref": "#/components/schemas/Phone"}},
        "anyOf": [{"required": ["email"]}, {"required": ["phone"]}]
      },
      "ManagementVerify": {
        "type": "object",
        "properties": {
          "email": {"$ref": "#/components/schemas/Email"},
          "phone": {"$ref": "#/components/schemas/Phone"},
          "verificationCode": {"type": "string", "minLength": 1, "maxLength": 64}},
        "required": ["verificationCode"],
        "anyOf": [{"required": ["email"]}, {"required": ["phone"]}]
      },
      "InteractionEvent": {"type": "string", "enum": ["SignIn", "Register", "ForgotPassword"]},
      "VerificationCodeIdentifier": {
        "oneOf": [
          {"type": "object", "required": ["type", "value"],
           "properties": {"type": {"const": "email"}, "value": {"$ref": "#/components/schemas/Email"}}},
          {"type": "object", "required": ["type", "value"],
           "properties": {"type": {"const": "phone"}, "value": {"$ref": "#/components/schemas/Phone"}}}
        ]
      },
      "Interaction": {
        "type": "object", "required": ["interactionEvent", "verificationRecords"],
        "properties": {
          "interactionEvent": {"$ref": "#/components/schemas/InteractionEvent"},
          "verificationRecords": {"type": "array", "items": {
            "type": "object", "required": ["id", "type", "identifier", "templateType", "verified"],
            "properties": {
              "id": {"type": "string"},
              "type": {"type": "string", "enum": ["EmailVerificationCode", "PhoneVerificationCode"]},
              "identifier": {"type": "object", "required": ["type", "value"],
                             "properties": {"type": {"type": "string", "enum": ["email", "phone"]}, "value": {"type": "string"}}},
              "templateType": {"type": "string", "enum": ["SignIn", "Register", "ForgotPassword", "Generic"]},
              "verified": {"type": "boolean"}}}}}
      },
      "VerificationIdBody": {"type": "object", "required": ["verificationId"], "properties": {"verificationId": {"type": "string"}}},
      "Readiness": {
        "type": "object", "required": ["status"],
        "properties": {"status": {"type": "string"}, "verifier": {"type": "boolean"}, "connector": {"type": "boolean"}}
      },
      "Error": {
        "type": "object", "required": ["code", "message"],
        "properties": {
          "code": {"type": "string", "examples": ["verification_code.code_mismatch"]},
          "message": {"type": "string"},
          "data": {"type": "object"},
          "details": {"type": "string"}}
      }
    },
    "responses": {
      "VerificationId": {"description": "The verification record's id.", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/VerificationIdBody"}}}},
      "BadRequest": {"description": "Invalid input, a wrong or expired code, or no session.", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}},
      "Unauthorized": {"description": "Missing or invalid credentials.", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}},
      "Forbidden": {"description": "The credentials lack the scope.", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}},
      "NotFound": {"description": "The verification record was not found.", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}},
      "PayloadTooLarge": {"description": "The body is over 64 KiB.", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}},
      "TooManyRequests": {"description": "A send limit was reached.", "headers": {"Retry-After": {"schema": {"type": "integer"}}},
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}},
      "NotImplemented": {"description": "No connector is configured for the channel.", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}},
      "Unavailable": {"description": "A backend service is unavailable.", "headers": {"Retry-After": {"schema": {"type": "integer"}}},
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}
    }
  }
}
"""#
}
