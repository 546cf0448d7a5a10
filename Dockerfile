# Builds the one acctflow binary; compose.yaml runs it once per handler.
FROM golang:1.26 AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
RUN CGO_ENABLED=0 go build -trimpath -o /acctflow ./cmd/acctflow

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /acctflow /acctflow
ENTRYPOINT ["/acctflow"]
